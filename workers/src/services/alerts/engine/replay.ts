import { absent, arrive, observe, tick, type Point } from './evaluate.ts';
import { initialState, type EngineRule, type SeriesState, type Transition } from './types.ts';

/** The agent's default collection interval: the offline default before any interval is observed. */
export const DEFAULT_INTERVAL_MS = 10_000;
/** Gaps shorter than this are a backlog being shipped or several batches of one tick, not the interval. */
const MIN_INTERVAL_MS = 1_000;

/**
 * The device's batch interval as observed: the median gap between the given arrival times
 * (any order), ignoring gaps under a second; null with too few to tell.
 */
export function observedInterval(arrivals: readonly number[]): number | null {
  const sorted = [...arrivals].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i]! - sorted[i - 1]!;
    if (gap >= MIN_INTERVAL_MS) gaps.push(gap);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor((gaps.length - 1) / 2)]!;
}

/** An offline rule's `afterMs`: as given, else twice the observed interval, else twice 10 s. */
export const offlineAfterMs = (given: number | undefined, arrivals: readonly number[]): number =>
  given ?? 2 * (observedInterval(arrivals) ?? DEFAULT_INTERVAL_MS);

/**
 * Runs a rule over a stored history the way the DeviceHub runs it live: the same engine calls,
 * with time passing up to `to` at the end. `points` are a series' samples in time order, or, for
 * `offline`, the device's batch arrival times (value unused). Transitions before `from` (the
 * warm-up that fills an aggregation or rate window) are left out.
 */
export function replay(
  rule: EngineRule,
  points: readonly Point[],
  from: number,
  to: number,
  afterMs: number | null = null,
): { transitions: Transition[]; state: SeriesState } {
  let s = initialState();
  const out: Transition[] = [];
  const kind = rule.condition.kind;
  if (kind === 'threshold' || kind === 'rate') {
    const step = observe(rule, s, points);
    out.push(...step.transitions);
    s = step.state;
    const timed = tick(rule, s, to);
    out.push(...timed.transitions);
    s = timed.state;
  } else {
    const wait = afterMs ?? 0;
    let last: number | null = null;
    for (const p of points) {
      // Absence is looked at just before each arrival, as an alarm would have seen it.
      const gap = absent(rule, s, p.ts - 1, last, wait);
      const back = arrive(rule, gap.state, p.ts);
      out.push(...gap.transitions, ...back.transitions);
      s = back.state;
      last = p.ts;
    }
    const end = absent(rule, s, to, last, wait);
    out.push(...end.transitions);
    s = end.state;
  }
  return { transitions: out.filter((t) => t.at >= from), state: s };
}
