import type { WindowAggregation } from '../../../../../schema/wire/alerts.ts';
import type { WindowEntry } from './types.ts';

/**
 * Most samples a window keeps; past it the oldest go, so a long window over a fast series
 * covers less time than asked rather than growing the stored state without bound.
 */
export const MAX_WINDOW_SAMPLES = 1_000;

/**
 * Appends a sample and drops those that fell out of the window (older than `ts - windowMs`).
 * Each entry carries the running increase since the window's state began: for a counter
 * (`counter`), a drop is a reset, so the step counted is the new value itself (the counter
 * restarted from zero), as Prometheus' `rate` does; otherwise the step is the plain difference.
 */
export function slide(
  window: readonly WindowEntry[],
  ts: number,
  value: number,
  windowMs: number,
  counter: boolean,
): WindowEntry[] {
  const prev = window.at(-1);
  let increase = 0;
  if (prev) {
    const step = value - prev[1];
    increase = prev[2] + (counter && step < 0 ? value : step);
  }
  const from = ts - windowMs;
  const kept = window.filter((e) => e[0] > from);
  kept.push([ts, value, increase]);
  return kept.length > MAX_WINDOW_SAMPLES ? kept.slice(kept.length - MAX_WINDOW_SAMPLES) : kept;
}

/** Mean, max or min of the window's values. */
export function aggregate(window: readonly WindowEntry[], fn: WindowAggregation['fn']): number | null {
  if (window.length === 0) return null;
  let acc = fn === 'mean' ? 0 : window[0]![1];
  for (const [, v] of window) {
    if (fn === 'mean') acc += v;
    else if (fn === 'max') acc = Math.max(acc, v);
    else acc = Math.min(acc, v);
  }
  return fn === 'mean' ? acc / window.length : acc;
}

/**
 * Change per second across the window: (last − first) / seconds between them, with counter
 * resets folded in. Null until the window holds two samples at different times.
 */
export function ratePerSecond(window: readonly WindowEntry[]): number | null {
  const first = window[0];
  const last = window.at(-1);
  if (!first || !last || last[0] <= first[0]) return null;
  return (last[2] - first[2]) / ((last[0] - first[0]) / 1000);
}
