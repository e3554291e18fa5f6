import { type Aggregation, type Point, type RawStats, SOURCE_RESOLUTION_MS } from '../../../../schema/wire/history.ts';
import type { RollupSource } from './source.ts';

/**
 * History and stats read from D1 rollups. One JSON parameter carries the series ids
 * (`json_each`), so 100 series stay clear of D1's 100-parameter cap. A rollup bucket counts
 * when it overlaps [from, to): rollups cannot be split.
 */

/** The D1 table of each rollup source. */
export const ROLLUP_TABLE: Record<RollupSource, string> = {
  '1m': 'rollups_1m',
  '1h': 'rollups_1h',
  '1d': 'rollups_1d',
};

/** What every rollup read covers: some series of one org, over [from, to), from one source. */
export interface RollupRange {
  source: RollupSource;
  orgId: string;
  ids: readonly string[];
  from: number;
  to: number;
}

/**
 * Combines rollup rows into one step bucket. For `last`, MAX(bucket) is the only aggregate,
 * so SQLite takes the bare `last` from the latest rollup bucket.
 */
const VALUE_SQL: Record<Aggregation, string> = {
  mean: 'SUM(sum) / SUM(count) AS value',
  min: 'MIN(min) AS value',
  max: 'MAX(max) AS value',
  sum: 'SUM(sum) AS value',
  count: 'SUM(count) AS value',
  last: 'last AS value, MAX(bucket) AS latest',
};

/** `WHERE` of every rollup read: ?1 org, ?2 ids (JSON), ?3 first bucket start, ?4 `to`. */
const RANGE_SQL = `org_id = ?1 AND series_id IN (SELECT value FROM json_each(?2)) AND bucket >= ?3 AND bucket < ?4`;

function rangeParams(r: RollupRange) {
  const resolution = SOURCE_RESOLUTION_MS[r.source];
  return [r.orgId, JSON.stringify(r.ids), r.from - (r.from % resolution), r.to] as const;
}

/** Points per series id, bucketed by `stepMs` (a multiple of the source's resolution). */
export async function rollupPoints(
  d1: D1Database,
  range: RollupRange,
  stepMs: number,
  agg: Aggregation,
): Promise<Map<string, Point[]>> {
  const { results } = await d1
    .prepare(
      `SELECT series_id, bucket - bucket % ?5 AS step_bucket, ${VALUE_SQL[agg]}
       FROM ${ROLLUP_TABLE[range.source]} WHERE ${RANGE_SQL}
       GROUP BY series_id, step_bucket ORDER BY series_id, step_bucket`,
    )
    .bind(...rangeParams(range), stepMs)
    .all<{ series_id: string; step_bucket: number; value: number }>();
  const bySeries = new Map<string, Point[]>();
  for (const r of results) {
    const points = bySeries.get(r.series_id) ?? [];
    points.push({ ts: r.step_bucket, value: r.value });
    bySeries.set(r.series_id, points);
  }
  return bySeries;
}

/** Stats per series id from rollups: everything raw gives except p95. */
export async function rollupStats(d1: D1Database, range: RollupRange): Promise<Map<string, RawStats>> {
  const params = rangeParams(range);
  const [totals, lasts] = await Promise.all([
    d1
      .prepare(
        `SELECT series_id, SUM(count) AS count, SUM(sum) AS sum, MIN(min) AS min, MAX(max) AS max
         FROM ${ROLLUP_TABLE[range.source]} WHERE ${RANGE_SQL} GROUP BY series_id`,
      )
      .bind(...params)
      .all<{ series_id: string; count: number; sum: number; min: number; max: number }>(),
    d1
      .prepare(
        `SELECT series_id, ${VALUE_SQL.last} FROM ${ROLLUP_TABLE[range.source]} WHERE ${RANGE_SQL} GROUP BY series_id`,
      )
      .bind(...params)
      .all<{ series_id: string; value: number; latest: number }>(),
  ]);
  const last = new Map(lasts.results.map((r) => [r.series_id, r]));
  const stats = new Map<string, RawStats>();
  for (const r of totals.results) {
    const l = last.get(r.series_id);
    stats.set(r.series_id, {
      seriesId: r.series_id,
      count: r.count,
      sum: r.sum,
      min: r.min,
      max: r.max,
      last: l?.value ?? null,
      lastTs: l?.latest ?? null,
      p95: null,
    });
  }
  return stats;
}

/** Whether the source holds any row for these series in the range. */
export async function rollupHasData(d1: D1Database, range: RollupRange): Promise<boolean> {
  const row = await d1
    .prepare(`SELECT 1 AS found FROM ${ROLLUP_TABLE[range.source]} WHERE ${RANGE_SQL} LIMIT 1`)
    .bind(...rangeParams(range))
    .first();
  return row !== null;
}
