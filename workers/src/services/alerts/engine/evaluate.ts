import type { AlertSeverity } from '../../../../../schema/wire/alerts.ts';
import { levelOf, thresholdOf } from './levels.ts';
import { advance, elapse, timerDue, type Reading } from './machine.ts';
import type { EngineRule, SeriesState, Step, Transition } from './types.ts';
import { aggregate, ratePerSecond, slide } from './window.ts';

/**
 * The alert engine: pure functions over one (rule, series) and its state, with no Workers API,
 * so the DeviceHub (live, per batch and per alarm) and the preview (over stored history) run
 * the same code. Times are sample timestamps for samples; `now` for the passing of time. See
 * machine.ts for the episode's states and levels.ts for hysteresis.
 *
 * - threshold: the value, or its mean/max/min over the samples of the last `windowMs`, against
 *   the warning and critical levels;
 * - rate: (last − first) / seconds between them over the samples of the last `windowMs`; for a
 *   `*_total` metric a drop counts as a counter reset;
 * - no_data / offline: absence for `afterMs` (of a series' samples, of the device's batches)
 *   makes the condition hold, from the moment the absence began; the next sample or batch
 *   clears it. No data is a warning, offline critical.
 */

export interface Point {
  ts: number;
  value: number;
}

/** Severity of the absence conditions, which have no levels. */
export const ABSENCE_SEVERITY: Record<'no_data' | 'offline', AlertSeverity> = {
  no_data: 'warning',
  offline: 'critical',
};

const noThreshold = () => null;

function reading(rule: EngineRule, value: number | null): Reading {
  const c = rule.condition;
  if (c.kind === 'threshold' || c.kind === 'rate') return { value, threshold: (sev) => thresholdOf(c, sev) };
  return { value: null, threshold: noThreshold };
}

/**
 * Evaluates a series' samples (time order; those not newer than the last evaluated are ignored)
 * for a threshold or rate rule. For absence rules use {@link arrive} and {@link absent}.
 */
export function observe(rule: EngineRule, state: SeriesState, points: readonly Point[]): Step {
  const c = rule.condition;
  if (c.kind !== 'threshold' && c.kind !== 'rate')
    throw new Error(`observe() is for threshold and rate rules, not ${c.kind}`);
  let s = state;
  const out: Transition[] = [];
  for (const p of points) {
    if (s.lastTs !== null && p.ts <= s.lastTs) continue;
    const timed = elapse(rule, s, p.ts, reading(rule, s.value));
    out.push(...timed.transitions);
    s = timed.state;
    let value: number | null;
    let window = s.window;
    if (c.kind === 'rate') {
      window = slide(window, p.ts, p.value, c.windowMs, rule.counter);
      value = ratePerSecond(window);
    } else if (c.aggregation) {
      window = slide(window, p.ts, p.value, c.aggregation.windowMs, false);
      value = aggregate(window, c.aggregation.fn);
    } else {
      value = p.value;
    }
    s = { ...s, window, lastTs: p.ts, value: value ?? s.value };
    // A rate needs two samples: until then the level stays as it was.
    const level = value === null ? s.level : levelOf(c, s.level, value);
    const step = advance(rule, s, level, p.ts, reading(rule, s.value));
    out.push(...step.transitions);
    s = step.state;
  }
  return { state: s, transitions: out };
}

/** A sample (no_data) or a batch (offline) arrived at `at`: absence, if it held, clears. */
export function arrive(rule: EngineRule, state: SeriesState, at: number): Step {
  if (state.phase === 'normal') return { state, transitions: [] };
  const timed = elapse(rule, state, at, reading(rule, null));
  const step = advance(rule, timed.state, 'ok', at, reading(rule, null));
  return { state: step.state, transitions: [...timed.transitions, ...step.transitions] };
}

/**
 * Absence as of `now`: nothing since `lastSeen` (a series' last sample, the device's last
 * batch; null when never seen, which never fires) for `afterMs` makes the condition hold, dated
 * from `lastSeen + afterMs`. Then the passing of time (`for`, keep-firing-for) up to `now`.
 */
export function absent(
  rule: EngineRule,
  state: SeriesState,
  now: number,
  lastSeen: number | null,
  afterMs: number,
): Step {
  const c = rule.condition;
  if (c.kind !== 'no_data' && c.kind !== 'offline') throw new Error(`absent() is for absence rules, not ${c.kind}`);
  const r = reading(rule, null);
  const out: Transition[] = [];
  let s = state;
  const since = lastSeen === null ? null : lastSeen + afterMs;
  if (since !== null && since <= now && (s.phase === 'normal' || s.level === 'ok')) {
    const before = elapse(rule, s, since, r);
    out.push(...before.transitions);
    const step = advance(rule, before.state, ABSENCE_SEVERITY[c.kind], since, r);
    out.push(...step.transitions);
    s = step.state;
  }
  const timed = elapse(rule, s, now, r);
  return { state: timed.state, transitions: [...out, ...timed.transitions] };
}

/**
 * When the state next needs {@link absent} or an alarm's `elapse`: a duration running out, or,
 * for absence rules, the moment silence since `lastSeen` would pass `afterMs`. Null: never.
 */
export function dueAt(
  rule: EngineRule,
  state: SeriesState,
  lastSeen: number | null,
  afterMs: number | null,
): number | null {
  const timer = timerDue(rule, state);
  const kind = rule.condition.kind;
  const absence =
    (kind === 'no_data' || kind === 'offline') &&
    lastSeen !== null &&
    afterMs !== null &&
    (state.phase === 'normal' || state.level === 'ok')
      ? lastSeen + afterMs
      : null;
  if (timer === null) return absence;
  return absence === null ? timer : Math.min(timer, absence);
}

/** Passes time for a threshold or rate rule up to `now` (the alarm's part). */
export function tick(rule: EngineRule, state: SeriesState, now: number): Step {
  return elapse(rule, state, now, reading(rule, state.value));
}
