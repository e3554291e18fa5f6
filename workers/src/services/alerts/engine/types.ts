import type { AlertCondition, AlertSeverity } from '../../../../../schema/wire/alerts.ts';

/** What the engine needs of a rule: its condition and how it behaves over time. */
export interface EngineRule {
  condition: AlertCondition;
  forMs: number;
  keepFiringForMs: number;
  /** The metric is a counter (`*_total`): for `rate`, a drop is a reset, not a fall. */
  counter: boolean;
}

/** The condition's level after hysteresis: not holding, or holding at a severity. */
export type Level = 'ok' | AlertSeverity;

/** Where an episode of one (rule, series) is: nothing open, pending its `for`, or firing. */
export type Phase = 'normal' | 'pending' | 'firing';

/** One window entry: sample time, value and, for rates, the counter's running increase. */
export type WindowEntry = [ts: number, value: number, increase: number];

/**
 * The engine's state of one (rule, series), kept by the caller between calls (the DeviceHub in
 * its SQLite). Plain data, JSON-safe; the engine never mutates one, it returns a new one.
 */
export interface SeriesState {
  phase: Phase;
  /** The condition's level as of the last evaluation; `ok` while normal. */
  level: Level;
  /** The episode's severity: follows the level while it holds, and is kept through keep-firing-for. */
  severity: AlertSeverity | null;
  /** When the condition started to hold: the episode's start. */
  since: number | null;
  /** Firing only: when the condition stopped holding (keep-firing-for counts from here). */
  clearSince: number | null;
  firedAt: number | null;
  /** Time of the last sample evaluated; older or equal samples are ignored. */
  lastTs: number | null;
  /** The last evaluated value (the aggregate or rate when the rule has one). */
  value: number | null;
  /** Samples within the aggregation or rate window, oldest first. */
  window: WindowEntry[];
}

export type TransitionKind = 'pending' | 'firing' | 'escalated' | 'deescalated' | 'resolved';

/** A change of an episode, with what the caller records and notifies. */
export interface Transition {
  kind: TransitionKind;
  from: Phase;
  to: Phase;
  at: number;
  severity: AlertSeverity;
  /** The evaluated value; null for absence (no data, offline). */
  value: number | null;
  /** The threshold of `severity` the value passed; null for absence and rates without one. */
  threshold: number | null;
  /** A resolved episode that never fired (its condition cleared before `for` passed). */
  neverFired?: boolean;
}

export interface Step {
  state: SeriesState;
  transitions: Transition[];
}

/** The episode fields of a state with no episode open; the sample history (`lastTs`, `value`, `window`) is kept apart. */
const NO_EPISODE = {
  phase: 'normal',
  level: 'ok',
  severity: null,
  since: null,
  clearSince: null,
  firedAt: null,
} as const satisfies Partial<SeriesState>;

export const initialState = (): SeriesState => ({ ...NO_EPISODE, lastTs: null, value: null, window: [] });

/** `s` with its episode closed: back to normal, keeping its sample history. */
export const endEpisode = (s: SeriesState): SeriesState => ({ ...s, ...NO_EPISODE });

/** A state that carries nothing worth storing: normal with an empty window. */
export const isIdle = (s: SeriesState): boolean => s.phase === 'normal' && s.window.length === 0;
