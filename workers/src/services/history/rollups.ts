import { type Aggregation, type RawStats, SOURCE_RESOLUTION_MS } from '../../../../schema/wire/history.ts';
import { sql, type SQL } from 'drizzle-orm';
import { db, schema, statement } from '../../db.ts';
import type { PointColumns } from '../../objects/device-hub/columns.ts';
import { inJsonList } from './series.ts';
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

/** The range's series: its ids (one JSON parameter) resolved in `series` within the org. */
const rangeSeries = (r: RollupRange): SQL =>
  sql`${inJsonList(schema.series.id, r.ids)} AND ${schema.series.orgId} = ${r.orgId}`;

/** A series' buckets in the range, from the first overlapping one, along the (sid, bucket) key. */
function rangeBuckets(r: RollupRange): SQL {
  const t = ROLLUP_TABLE[r.source];
  const first = r.from - (r.from % SOURCE_RESOLUTION_MS[r.source]);
  return sql`${t.sid} = ${schema.series.num} AND ${t.bucket} >= ${first} AND ${t.bucket} < ${r.to}`;
}

/**
 * `FROM … WHERE` of the stats reads: the range's series, each joined to its buckets. The CROSS
 * JOIN keeps `series` the outer loop. `series_id` names the text id in the select lists.
 */
const fromRange = (r: RollupRange): SQL =>
  sql`FROM ${schema.series} CROSS JOIN ${ROLLUP_TABLE[r.source]} WHERE ${rangeSeries(r)} AND ${rangeBuckets(r)}`;

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
 * columns. 100 series × 30 days at 1 h is 72,000 points, so each series comes back as one row
 * holding two JSON arrays (its buckets and its values), not a row per point: D1 hands over 100
 * rows instead of 72,000, and a correlated subquery per series walks the (sid, bucket) key in
 * order, so nothing is sorted. Measured on the query bench's data with node:sqlite, the
 * statement took 29 ms against 100 ms for the row form (the data set of bench/query-plan.ts).
 */
export async function rollupPoints(
  d1: D1Database,
  range: RollupRange,
  stepMs: number,
  agg: Aggregation,
): Promise<Map<string, PointColumns>> {
  const t = ROLLUP_TABLE[range.source];
  const s = schema.series;
  // At the source's own step each row is a point: no grouping.
  const points =
    stepMs === SOURCE_RESOLUTION_MS[range.source]
      ? sql`SELECT ${t.bucket} AS ts, ${rowValueSql(t, agg)} AS value FROM ${t} WHERE ${rangeBuckets(range)}`
      : sql`SELECT ${t.bucket} - ${t.bucket} % ${stepMs} AS ts, ${valueSql(t, agg)} FROM ${t}
        WHERE ${rangeBuckets(range)} GROUP BY ts ORDER BY ts`;
  const query = sql`SELECT ${s.id}, (SELECT json_array(json_group_array(ts), json_group_array(value)) FROM (${points}))
    FROM ${s} WHERE ${rangeSeries(range)}`;
  const rows = await statement(d1, query).raw<[string, string]>();
  const out = new Map<string, PointColumns>();
  for (const [id, json] of rows) {
    const [ts, values] = JSON.parse(json) as [number[], (number | null)[]];
    if (ts.length === 0) continue;
    // json_group_array keeps the order rows reach it, which is the key's; checked, not assumed.
    const sorted = ts.every((v, i) => i === 0 || v > ts[i - 1]!);
    out.set(id, sorted ? toFloatColumns(ts, values) : sortedColumns(ts, values));
  }
  return out;
}

function toFloatColumns(ts: number[], values: (number | null)[]): PointColumns {
  // A null value (a mean over nothing) becomes 0, as it always has; no mapping function, which
  // cost 8 ms per 72,000 points in the profile.
  return { ts: Float64Array.from(ts), values: Float64Array.from(values as number[]) };
}

function sortedColumns(ts: number[], values: (number | null)[]): PointColumns {
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
