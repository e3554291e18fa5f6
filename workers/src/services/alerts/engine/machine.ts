import type { AlertSeverity } from '../../../../../schema/wire/alerts.ts';
import {
  endEpisode,
  type EngineRule,
  type Level,
  type Phase,
  type SeriesState,
  type Step,
  type Transition,
} from './types.ts';

/** What a transition reports besides its kind: the value and the threshold of its severity. */
export interface Reading {
  value: number | null;
  threshold: (severity: AlertSeverity) => number | null;
}

function transition(
  kind: Transition['kind'],
  from: Phase,
  to: Phase,
  at: number,
  severity: AlertSeverity,
  r: Reading,
): Transition {
  return { kind, from, to, at, severity, value: r.value, threshold: r.threshold(severity) };
}

/**
 * Moves one episode on, given the condition's level at time `sampleAt`. Call {@link elapse}
 * for the same time first, so durations that ran out before this sample take effect first.
 *
 * - normal → pending when the condition starts to hold (or straight to firing when `forMs` is 0);
 * - pending → firing once it has held for `forMs`; pending → normal when it clears first, reported
 *   as `resolved` with `neverFired` (Prometheus drops such alerts silently; we keep the record);
 * - firing: a change of level is `escalated` (warning → critical) or `deescalated`; when the
 *   condition clears, the episode keeps firing until it has been clear for `keepFiringForMs`
 *   (0: resolves at once), and holding again within that time continues the same episode.
 */
export function advance(rule: EngineRule, state: SeriesState, level: Level, sampleAt: number, r: Reading): Step {
  // A sample older than the episode's last change (which an alarm may have made) counts as of that change.
  const at = Math.max(sampleAt, state.since ?? -Infinity, state.firedAt ?? -Infinity, state.clearSince ?? -Infinity);
  const s: SeriesState = { ...state, level };
  const out: Transition[] = [];

  if (s.phase === 'normal') {
    if (level === 'ok') return { state: s, transitions: out };
    s.since = at;
    s.severity = level;
    if (rule.forMs > 0) {
      s.phase = 'pending';
      out.push(transition('pending', 'normal', 'pending', at, level, r));
      return { state: s, transitions: out };
    }
    s.phase = 'firing';
    s.firedAt = at;
    out.push(transition('firing', 'normal', 'firing', at, level, r));
    return { state: s, transitions: out };
  }

  if (s.phase === 'pending') {
    if (level === 'ok') {
      out.push({ ...transition('resolved', 'pending', 'normal', at, s.severity ?? 'warning', r), neverFired: true });
      return { state: endEpisode(s), transitions: out };
    }
    s.severity = level;
    return fireIfDue(rule, s, at, r, out);
  }

  if (level === 'ok') {
    s.clearSince ??= at;
    return resolveIfDue(rule, s, at, r, out);
  }
  s.clearSince = null;
  if (level !== s.severity) {
    out.push(transition(level === 'critical' ? 'escalated' : 'deescalated', 'firing', 'firing', at, level, r));
    s.severity = level;
  }
  return { state: s, transitions: out };
}

/**
 * The passing of time alone, up to `now`: a pending episode whose condition still holds fires once
 * `forMs` has passed, and a firing one that has been clear for `keepFiringForMs` resolves. The
 * condition is taken to hold as the last sample left it (silence is the no-data rule's business).
 * Transitions are dated when their duration ran out, not when this runs, so evaluating samples
 * one by one, with or without an alarm in between, gives the same transitions at the same times.
 */
export function elapse(rule: EngineRule, state: SeriesState, now: number, r: Reading): Step {
  const due = timerDue(rule, state);
  if (due === null || due > now) return { state, transitions: [] };
  const s = { ...state };
  return s.phase === 'pending' ? fireIfDue(rule, s, now, r, []) : resolveIfDue(rule, s, now, r, []);
}

/** When {@link elapse} would next change something, or null. */
export function timerDue(rule: EngineRule, s: SeriesState): number | null {
  if (s.phase === 'pending' && s.level !== 'ok' && s.since !== null) return s.since + rule.forMs;
  if (s.phase === 'firing' && s.clearSince !== null) return s.clearSince + rule.keepFiringForMs;
  return null;
}

/** Fires when `forMs` has passed by `now`, dated when it passed. */
function fireIfDue(rule: EngineRule, s: SeriesState, now: number, r: Reading, out: Transition[]): Step {
  if (s.since === null || s.since + rule.forMs > now) return { state: s, transitions: out };
  const at = s.since + rule.forMs;
  const severity = s.severity ?? 'warning';
  s.phase = 'firing';
  s.firedAt = at;
  out.push(transition('firing', 'pending', 'firing', at, severity, r));
  return { state: s, transitions: out };
}

/** Resolves when the condition has been clear for `keepFiringForMs` by `now`, dated when that passed. */
function resolveIfDue(rule: EngineRule, s: SeriesState, now: number, r: Reading, out: Transition[]): Step {
  if (s.clearSince === null || s.clearSince + rule.keepFiringForMs > now) return { state: s, transitions: out };
  const at = s.clearSince + rule.keepFiringForMs;
  out.push(transition('resolved', 'firing', 'normal', at, s.severity ?? 'warning', r));
  return { state: endEpisode(s), transitions: out };
}
