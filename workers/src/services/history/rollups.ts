import { type Aggregation, type RawStats, SOURCE_RESOLUTION_MS } from '../../../../schema/wire/history.ts';
import { sql, type SQL } from 'drizzle-orm';
import { db, schema, statement } from '../../db.ts';
import type { PointColumns } from '../../objects/device-hub/columns.ts';
import type { RollupSource } from './source.ts';

/**
 * History and stats read from D1's hour and day rollups (minutes are read from the DeviceHubs:
 * read.ts). One JSON parameter carries the series ids (`json_each`), so 100 series stay clear of
 * D1's 100-parameter cap; each is looked up in `series` (its org checked there) for the integer
 * id the rollup rows key on. A rollup bucket counts when it overlaps [from, to): rollups cannot
 * be split.
 */

/** The sources D1 holds. */
export type D1RollupSource = Exclude<RollupSource, '1m'>;

/** The D1 table of each rollup source. */
export const ROLLUP_TABLE = {
  '1h': schema.rollups1h,
  '1d': schema.rollups1d,
} as const satisfies Record<D1RollupSource, unknown>;
/** Any rollup table: the two share their columns. */
export type RollupTable = (typeof ROLLUP_TABLE)[D1RollupSource];

/** What every rollup read covers: some series of one org, over [from, to), from one source. */
export interface RollupRange {
  source: D1RollupSource;
  orgId: string;
  ids: readonly string[];
  from: number;
  to: number;
}

/**
 * Combines rollup rows into one step bucket. For `last`, MAX(bucket) is the only aggregate,
 * so SQLite takes the bare `last` from the latest rollup bucket.
 */
function valueSql(t: RollupTable, agg: Aggregation): SQL {
  switch (agg) {
    case 'mean':
      return sql`SUM(${t.sum}) / SUM(${t.count}) AS value`;
    case 'min':
      return sql`MIN(${t.min}) AS value`;
    case 'max':
      return sql`MAX(${t.max}) AS value`;
    case 'sum':
      return sql`SUM(${t.sum}) AS value`;
    case 'count':
      return sql`SUM(${t.count}) AS value`;
    case 'last':
      return sql`${t.last} AS value, MAX(${t.bucket}) AS latest`;
  }
}

/**
 * `FROM … WHERE` of every rollup read: the ids (one JSON parameter) resolved in `series` within
 * the org, then each series' buckets from the first overlapping one along the (sid, bucket) key.
 * `series_id` names the text id in the select lists.
 */
function fromRange(r: RollupRange): SQL {
  const t = ROLLUP_TABLE[r.source];
  const s = schema.series;
  const first = r.from - (r.from % SOURCE_RESOLUTION_MS[r.source]);
  return sql`FROM ${s} CROSS JOIN ${t} ON ${t.sid} = ${s.num}
    WHERE ${s.id} IN (SELECT value FROM json_each(${JSON.stringify(r.ids)})) AND ${s.orgId} = ${r.orgId}
    AND ${t.bucket} >= ${first} AND ${t.bucket} < ${r.to}`;
}

const seriesIdSql = sql`${schema.series.id} AS series_id`;

/** One rollup row as a point when the step is the source's own resolution. */
function rowValueSql(t: RollupTable, agg: Aggregation): SQL {
  switch (agg) {
    case 'mean':
      return sql`${t.sum} / ${t.count}`;
    case 'min':
      return sql`${t.min}`;
    case 'max':
      return sql`${t.max}`;
    case 'sum':
      return sql`${t.sum}`;
    case 'count':
      return sql`${t.count}`;
    case 'last':
      return sql`${t.last}`;
  }
}

/**
 * Points per series id, bucketed by `stepMs` (a multiple of the source's resolution), as
 * columns. Rows are read as arrays (`raw()`), not objects: 100 series × 30 days at 1 h is
 * 72,000 rows.
 */
export async function rollupPoints(
  d1: D1Database,
  range: RollupRange,
  stepMs: number,
  agg: Aggregation,
): Promise<Map<string, PointColumns>> {
  const t = ROLLUP_TABLE[range.source];
  // At the source's own step each row is a point: no grouping. The CROSS JOIN fixes the loop
  // order (series outside, the (sid, bucket) key inside), so rows come grouped by series with
  // buckets ascending; the check below keeps that an observation, not an assumption.
  const own = stepMs === SOURCE_RESOLUTION_MS[range.source];
  const query = own
    ? sql`SELECT ${seriesIdSql}, ${t.bucket}, ${rowValueSql(t, agg)} ${fromRange(range)}`
    : sql`SELECT ${seriesIdSql}, ${t.bucket} - ${t.bucket} % ${stepMs} AS step_bucket, ${valueSql(t, agg)}
      ${fromRange(range)} GROUP BY series_id, step_bucket ORDER BY series_id, step_bucket`;
  const rows = await statement(d1, query).raw<[string, number, number]>();
  const bySeries = new Map<string, { ts: number[]; values: number[] }>();
  let sorted = true;
  for (const [id, ts, value] of rows) {
    let points = bySeries.get(id);
    if (!points) bySeries.set(id, (points = { ts: [], values: [] }));
    else if (ts <= points.ts[points.ts.length - 1]!) sorted = false;
    points.ts.push(ts);
    points.values.push(value);
  }
  const out = new Map<string, PointColumns>();
  for (const [id, p] of bySeries) out.set(id, sorted ? toFloatColumns(p.ts, p.values) : sortedColumns(p.ts, p.values));
  return out;
}

function toFloatColumns(ts: number[], values: number[]): PointColumns {
  return { ts: Float64Array.from(ts), values: Float64Array.from(values) };
}

function sortedColumns(ts: number[], values: number[]): PointColumns {
  const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
  return toFloatColumns(
    order.map((i) => ts[i]!),
    order.map((i) => values[i]!),
  );
}

/** Stats per series id from rollups: everything raw gives except p95. */
export async function rollupStats(d1: D1Database, range: RollupRange): Promise<Map<string, RawStats>> {
  const t = ROLLUP_TABLE[range.source];
  const d = db(d1);
  const [totals, lasts] = await Promise.all([
    d.all<{ series_id: string; count: number; sum: number; min: number; max: number }>(
      sql`SELECT ${seriesIdSql}, SUM(${t.count}) AS count, SUM(${t.sum}) AS sum, MIN(${t.min}) AS min,
        MAX(${t.max}) AS max ${fromRange(range)} GROUP BY series_id`,
    ),
    d.all<{ series_id: string; value: number; latest: number }>(
      sql`SELECT ${seriesIdSql}, ${valueSql(t, 'last')} ${fromRange(range)} GROUP BY series_id`,
    ),
  ]);
  const last = new Map(lasts.map((r) => [r.series_id, r]));
  const stats = new Map<string, RawStats>();
  for (const r of totals) {
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
  const row = await db(d1).get<{ found: number } | undefined>(sql`SELECT 1 AS found ${fromRange(range)} LIMIT 1`);
  return row !== undefined && row !== null;
}
