import type { Aggregation, Point, RawStats, SeriesPoints } from '../../../../schema/wire/history.ts';
import { scanRaw } from './raw-read.ts';
import { RawAggregate } from './raw-aggregate.ts';
import { sidOf } from './store.ts';

/**
 * Reads over a DeviceHub's raw samples (head and blocks, see raw-read.ts) for the history and
 * stats API. Aggregates are computed here as SQLite computed them over sample rows (compensated
 * sums in ts order, the first of equal minima), so answers do not change when samples are sealed.
 */

/** Points per series bucketed by `stepMs` (buckets start at multiples of the step since the epoch). */
export function aggregateRaw(
  sql: SqlStorage,
  seriesIds: readonly string[],
  from: number,
  to: number,
  stepMs: number,
  agg: Aggregation,
): SeriesPoints[] {
  const bySeries = new Map<string, Point[]>();
  for (const seriesId of new Set(seriesIds)) {
    const sid = sidOf(sql, seriesId);
    if (sid === undefined) continue;
    const points: Point[] = [];
    let start = NaN;
    let bucket = new RawAggregate();
    const enter = (ts: number) => {
      const b = ts - (ts % stepMs);
      if (b === start) return;
      if (bucket.count > 0) points.push({ ts: start, value: bucket.value(agg) });
      start = b;
      bucket = new RawAggregate();
    };
    scanRaw(
      sql,
      sid,
      from,
      to,
      (ts, value) => {
        enter(ts);
        bucket.add(value);
      },
      {
        wholeBlock: (b) => {
          if (b.firstTs - (b.firstTs % stepMs) !== b.lastTs - (b.lastTs % stepMs)) return false;
          enter(b.firstTs);
          bucket.addBlock(b);
          return true;
        },
      },
    );
    if (bucket.count > 0) points.push({ ts: start, value: bucket.value(agg) });
    bySeries.set(seriesId, points);
  }
  return seriesIds.map((seriesId) => ({ seriesId, points: bySeries.get(seriesId) ?? [] }));
}

/** Count, sum, min, max, last and nearest-rank p95 per series over [from, to). */
export function rawStats(sql: SqlStorage, seriesIds: readonly string[], from: number, to: number): RawStats[] {
  return seriesIds.map((seriesId) => {
    const sid = sidOf(sql, seriesId);
    const values: number[] = [];
    const all = new RawAggregate();
    let lastTs = 0;
    if (sid !== undefined) {
      // p95 needs every value, so whole-block summaries would save nothing here.
      scanRaw(sql, sid, from, to, (ts, value) => {
        values.push(value);
        all.add(value);
        lastTs = ts;
      });
    }
    if (all.count === 0) {
      return { seriesId, count: 0, sum: 0, min: null, max: null, last: null, lastTs: null, p95: null };
    }
    // Nearest rank: the smallest value with at least 95 % of the samples at or below it.
    const sorted = Float64Array.from(values).sort();
    return {
      seriesId,
      count: all.count,
      sum: all.sum.value,
      min: all.min,
      max: all.max,
      last: all.last,
      lastTs,
      p95: sorted[Math.ceil(0.95 * all.count) - 1]!,
    };
  });
}
