import type { TimePoint } from './aligned.ts';

/**
 * Per-second rates of a counter (a value that only grows, such as `net_rx_errors_total`), one
 * per point after the first: the increase since the previous point over the time between them.
 * A counter that went down was reset (the process restarted and counts from zero again), so its
 * increase is the new value, never negative. `points` must be sorted by time; points sharing a
 * time are skipped.
 */
export function counterRates(points: readonly TimePoint[]): TimePoint[] {
  const rates: TimePoint[] = [];
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    const seconds = (cur.ts - prev.ts) / 1000;
    if (seconds <= 0) continue;
    const delta = cur.value - prev.value;
    const increase = delta >= 0 ? delta : Math.max(0, cur.value);
    rates.push({ ts: cur.ts, value: increase / seconds });
  }
  return rates;
}
