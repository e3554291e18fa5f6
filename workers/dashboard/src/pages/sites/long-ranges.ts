import { parseRange, PRESETS, stepFor, type Preset, type RangeSpec } from '../device/ranges.ts';

/** A point's history ranges: the device page's, plus years (read through the daily rollups). */

const DAY = 86_400_000;

/** Beyond this span a point's chart asks for daily buckets, which the API answers from the 1d rollup. */
export const DAILY_FROM_MS = 90 * DAY;

export const POINT_PRESETS: readonly Preset[] = [
  ...PRESETS,
  { id: '3y', label: '3 y', ms: 3 * 365 * DAY, live: false },
];

/** Reads `?range=` with the long presets too; anything else as the device page does. */
export function parsePointRange(value: string | null): RangeSpec {
  const preset = POINT_PRESETS.find((p) => p.id === value);
  return preset ? { kind: 'preset', preset } : parseRange(value);
}

/**
 * The step to ask for: one day past {@link DAILY_FROM_MS} (years of history then cost about 365
 * buckets a year, out of the daily rollups, and the API's 100,000 series × buckets cap is far
 * off), else the device page's choice.
 */
export function pointStep(from: number, to: number): number | undefined {
  return to - from > DAILY_FROM_MS ? DAY : stepFor(from, to);
}
