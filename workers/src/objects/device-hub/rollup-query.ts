import type { Aggregation, Point, RawStats, RollupAggregates, SeriesPoints } from '../../../../schema/wire/history.ts';
import { sidOf } from './store.ts';
import { type Bucket, bucketsOf, deleteSeriesRollups, type Level, totals } from './rollup-store.ts';

/**
 * Reads over the DeviceHub's rollups (sources `1m`, `1h` and `1d`) for the history, stats and
 * export APIs, with the answers D1's rollup tables gave: a bucket counts when it overlaps
 * [from, to), a step bucket combines its rollup buckets, and `last` is the latest one's.
 */

function bucketsOfSeries(store: SqlStorage, level: Level, seriesId: string, from: number, to: number): Bucket[] {
  const sid = sidOf(store, seriesId);
  return sid === undefined ? [] : bucketsOf(store, level, sid, from, to);
}

function combine(buckets: readonly Bucket[], agg: Aggregation): number {
  const t = totals(buckets)!;
  return agg === 'mean' ? t.sum / t.count : t[agg];
}

/** Points per series, bucketed by `stepMs` (a multiple of the level's bucket). */
export function rollupPoints(
  store: SqlStorage,
  level: Level,
  seriesIds: readonly string[],
  from: number,
  to: number,
  stepMs: number,
  agg: Aggregation,
): SeriesPoints[] {
  return seriesIds.map((seriesId) => {
    const steps = new Map<number, Bucket[]>();
    for (const b of bucketsOfSeries(store, level, seriesId, from, to)) {
      const step = b.start - (b.start % stepMs);
      const list = steps.get(step) ?? [];
      list.push(b);
      steps.set(step, list);
    }
    const points: Point[] = [...steps].map(([ts, list]) => ({ ts, value: combine(list, agg) }));
    return { seriesId, points };
  });
}

/** Stats per series from rollups: everything raw gives except p95. */
export function rollupStats(
  store: SqlStorage,
  level: Level,
  seriesIds: readonly string[],
  from: number,
  to: number,
): RawStats[] {
  return seriesIds.map((seriesId) => {
    const buckets = bucketsOfSeries(store, level, seriesId, from, to);
    const t = totals(buckets);
    if (!t) return { seriesId, count: 0, sum: 0, min: null, max: null, last: null, lastTs: null, p95: null };
    return { seriesId, ...t, lastTs: buckets[buckets.length - 1]!.start, p95: null };
  });
}

/** Whether any of the series has a bucket overlapping [from, to). */
export function rollupsHeld(
  store: SqlStorage,
  level: Level,
  seriesIds: readonly string[],
  from: number,
  to: number,
): boolean {
  return seriesIds.some((id) => bucketsOfSeries(store, level, id, from, to).length > 0);
}

/** Drops one series' rollups at every level (the series is being deleted). */
export function deleteRollupsOf(store: SqlStorage, seriesId: string): void {
  const sid = sidOf(store, seriesId);
  if (sid !== undefined) deleteSeriesRollups(store, sid);
}

/** Up to `limit` buckets of one series starting in [from, to), as export rows. */
export function rollupExportRows(
  store: SqlStorage,
  level: Level,
  seriesId: string,
  from: number,
  to: number,
  limit: number,
): (RollupAggregates & { bucket: number })[] {
  const out: (RollupAggregates & { bucket: number })[] = [];
  for (const b of bucketsOfSeries(store, level, seriesId, from, to)) {
    if (b.start < from) continue;
    out.push({ bucket: b.start, count: b.count, sum: b.sum, min: b.min, max: b.max, last: b.last });
    if (out.length === limit) break;
  }
  return out;
}
