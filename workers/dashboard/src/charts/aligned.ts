import type uPlot from 'uplot';
import { counterRates } from './rates.ts';

/** One point of a series, in epoch milliseconds. */
export interface TimePoint {
  ts: number;
  value: number;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Points of several series keyed by series key, kept sorted by time, and turned into uPlot's
 * aligned columns (x in seconds, `null` where a series has no point at a shared time).
 * Live samples are merged in without a refetch; a point at an existing time replaces it.
 */
export class SeriesPoints {
  #byKey = new Map<string, Map<number, number>>();

  /** Replaces every point of `key`. */
  set(key: string, points: TimePoint[]): void {
    this.#byKey.set(key, new Map(points.map((p) => [p.ts, p.value])));
  }

  /** Adds points to `key` (a live sample); returns whether anything changed. */
  add(key: string, points: TimePoint[]): boolean {
    let map = this.#byKey.get(key);
    if (!map) this.#byKey.set(key, (map = new Map()));
    for (const p of points) map.set(p.ts, p.value);
    return points.length > 0;
  }

  /** Drops points before `fromMs`, so a live window does not grow without bound. */
  trim(fromMs: number): void {
    for (const map of this.#byKey.values()) for (const ts of map.keys()) if (ts < fromMs) map.delete(ts);
  }

  /** How many points `key` holds. */
  count(key: string): number {
    return this.#byKey.get(key)?.size ?? 0;
  }

  /** Total points over every key. */
  total(): number {
    let n = 0;
    for (const map of this.#byKey.values()) n += map.size;
    return n;
  }

  /**
   * uPlot's data for `keys`, in that order. Keys in `counters` are drawn as per-second rates
   * of change (see counterRates), so a counter shows how fast it grows, not its running total.
   */
  aligned(keys: readonly string[], counters: ReadonlySet<string> = NONE): uPlot.AlignedData {
    const drawn = keys.map((key) => {
      const map = this.#byKey.get(key);
      if (!map || !counters.has(key)) return map;
      const sorted = [...map].sort((a, b) => a[0] - b[0]).map(([ts, value]) => ({ ts, value }));
      return new Map(counterRates(sorted).map((p) => [p.ts, p.value]));
    });
    const times = new Set<number>();
    for (const map of drawn) for (const ts of map?.keys() ?? []) times.add(ts);
    const xs = [...times].sort((a, b) => a - b);
    const columns = drawn.map((map) => xs.map((ts) => map?.get(ts) ?? null));
    return [xs.map((ts) => ts / 1000), ...columns];
  }
}
