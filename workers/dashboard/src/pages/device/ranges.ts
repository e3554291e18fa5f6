/** The device page's time ranges: the presets of the picker, custom ranges, and the step to ask for. */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export interface Preset {
  id: string;
  label: string;
  ms: number;
  /** Live presets follow now and append samples from the stream. */
  live: boolean;
}

export const PRESETS: readonly Preset[] = [
  { id: '15m', label: 'Live 15 min', ms: 15 * MIN, live: true },
  { id: '1h', label: '1 h', ms: HOUR, live: true },
  { id: '6h', label: '6 h', ms: 6 * HOUR, live: true },
  { id: '24h', label: '24 h', ms: DAY, live: false },
  { id: '7d', label: '7 d', ms: 7 * DAY, live: false },
  { id: '30d', label: '30 d', ms: 30 * DAY, live: false },
  { id: '1y', label: '1 y', ms: 365 * DAY, live: false },
];

export const DEFAULT_RANGE = '1h';

/** A preset by id, or a custom absolute range. */
export type RangeSpec = { kind: 'preset'; preset: Preset } | { kind: 'custom'; from: number; to: number };

/** Reads `?range=` (`24h`, or `<from>-<to>` in epoch ms for a custom or zoomed range). */
export function parseRange(value: string | null): RangeSpec {
  const preset = PRESETS.find((p) => p.id === value);
  if (preset) return { kind: 'preset', preset };
  const m = /^(\d{10,15})-(\d{10,15})$/.exec(value ?? '');
  if (m && Number(m[1]) < Number(m[2])) return { kind: 'custom', from: Number(m[1]), to: Number(m[2]) };
  return { kind: 'preset', preset: PRESETS.find((p) => p.id === DEFAULT_RANGE)! };
}

/** The `?range=` value of a range. */
export function formatRange(spec: RangeSpec): string {
  return spec.kind === 'preset' ? spec.preset.id : `${spec.from}-${spec.to}`;
}

/** The absolute window of a range at `now`. */
export function windowOf(spec: RangeSpec, now = Date.now()): { from: number; to: number } {
  return spec.kind === 'preset' ? { from: now - spec.preset.ms, to: now } : { from: spec.from, to: spec.to };
}

export const isLive = (spec: RangeSpec): boolean => spec.kind === 'preset' && spec.preset.live;

/** Steps a chart may use; each lines up with the API's rollups (1m, 1h, 1d divide the larger ones). */
const STEPS = [
  1000,
  5000,
  10_000,
  30_000,
  MIN,
  2 * MIN,
  5 * MIN,
  10 * MIN,
  15 * MIN,
  30 * MIN,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/** Points per series a chart asks for at most. */
export const MAX_POINTS = 1000;

/**
 * The step for a window: undefined (raw points as stored) up to one hour, where raw samples
 * are few and live ones are appended as they come; otherwise the smallest step giving at most
 * {@link MAX_POINTS} buckets, which lets the API answer from a rollup when one fits.
 */
export function stepFor(from: number, to: number): number | undefined {
  const span = to - from;
  if (span <= HOUR) return undefined;
  return STEPS.find((s) => span / s <= MAX_POINTS) ?? STEPS[STEPS.length - 1];
}

/** "1 h" style text for a step in ms. */
export function formatStep(ms: number | null): string {
  if (ms === null) return 'raw points';
  if (ms % DAY === 0) return `${ms / DAY} d`;
  if (ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms % MIN === 0) return `${ms / MIN} min`;
  return `${ms / 1000} s`;
}
