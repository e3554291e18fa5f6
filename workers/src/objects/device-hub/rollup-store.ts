import { blockLength, decodeBlock, encodeBlock } from '../../services/storage/codec/index.ts';
import { getMeta, setMeta } from './store.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../time.ts';

/**
 * The DeviceHub's rollups, all three levels, each stored the same way: one row per (series,
 * span) holding that span's buckets as a column block (bucket start, count, sum, min, max,
 * last). Minutes are kept in hour rows, hours in day rows, days in rows of 128 days. A row per
 * bucket anywhere in SQLite costs at least ~50 B; a block shares one key and one B-tree cell,
 * and the codec compresses its columns.
 *
 * The key is one integer, `sid × 2^24 + span index since the epoch` (hours fit 24 bits until
 * the year 3883), as the rowid: a table B-tree keeps a row of up to ~4 KB in its page, where a
 * WITHOUT ROWID table (an index B-tree) spills anything over ~1 KB into a whole overflow page.
 * A compressed hour of minutes is about 1.4 KB, a day of hours a few hundred bytes, and 128 days
 * stay under 4 KB.
 *
 * Each level has a watermark: buckets before it have been swept by retention, so late data
 * there is added to the next level once instead of rebuilding it (rollup-flush.ts). Sweeping a
 * level sweeps the finer ones up to the same point, so minutes ≥ hours ≥ days always holds for
 * the watermarks, and a bucket rebuilt from the finer level is never below the coarser one's.
 */

export type Level = '1m' | '1h' | '1d';

interface LevelSpec {
  table: string;
  bucketMs: number;
  spanMs: number;
  /** Meta keys of the bucket count and the watermark. */
  countKey: string;
  watermarkKey: string;
}

export const LEVELS: Record<Level, LevelSpec> = {
  '1m': {
    table: 'minute_hours',
    bucketMs: MINUTE_MS,
    spanMs: HOUR_MS,
    countKey: 'minuteCount',
    watermarkKey: 'minuteWatermark',
  },
  '1h': { table: 'hour_days', bucketMs: HOUR_MS, spanMs: DAY_MS, countKey: 'hourCount', watermarkKey: 'hourWatermark' },
  '1d': {
    table: 'day_spans',
    bucketMs: DAY_MS,
    spanMs: 128 * DAY_MS,
    countKey: 'dayCount',
    watermarkKey: 'dayWatermark',
  },
};

/** The level whose bucket is one span of `level` (minutes roll into hours, hours into days). */
export const COARSER: Record<Level, Level | null> = { '1m': '1h', '1h': '1d', '1d': null };

/** One bucket's aggregates. */
export interface Bucket {
  start: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

/** Aggregates over some buckets (what the next level's bucket holds). */
export type Totals = Omit<Bucket, 'start'>;

export function createRollupTables(sql: SqlStorage): void {
  for (const { table } of Object.values(LEVELS)) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (key INTEGER PRIMARY KEY, block BLOB NOT NULL)`);
  }
}

/** The start of the span (of `level`'s rows) that holds `ts`. */
export const spanOf = (level: Level, ts: number) => ts - (ts % LEVELS[level].spanMs);
/** The start of `level`'s bucket that holds `ts`. */
export const bucketOf = (level: Level, ts: number) => ts - (ts % LEVELS[level].bucketMs);

const SID_SHIFT = 2 ** 24;
/** The row key of a series' span. */
export const spanKey = (level: Level, sid: number, spanStart: number) =>
  sid * SID_SHIFT + Math.floor(spanStart / LEVELS[level].spanMs);
/** Keys of one series' spans starting in [from, to). */
export const keyRange = (level: Level, sid: number, from: number, to: number): [number, number] => [
  sid * SID_SHIFT + Math.ceil(from / LEVELS[level].spanMs),
  sid * SID_SHIFT + Math.ceil(to / LEVELS[level].spanMs),
];
/** Keys of all of one series' spans. */
export const seriesKeys = (sid: number): [number, number] => [sid * SID_SHIFT, (sid + 1) * SID_SHIFT];
/** The local series id of a key. */
export const sidOfKey = (key: number) => Math.floor(key / SID_SHIFT);
/** The span start of a key. */
export const spanOfKey = (level: Level, key: number) => (key % SID_SHIFT) * LEVELS[level].spanMs;

export function decodeBuckets(block: ArrayBuffer | Uint8Array): Bucket[] {
  const { ts, columns } = decodeBlock(block instanceof Uint8Array ? block : new Uint8Array(block));
  const [count, sum, min, max, last] = columns as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  return Array.from(ts, (start, i) => ({
    start,
    count: count[i]!,
    sum: sum[i]!,
    min: min[i]!,
    max: max[i]!,
    last: last[i]!,
  }));
}

function encodeBuckets(buckets: readonly Bucket[]): Uint8Array {
  const pick = (k: keyof Bucket) => buckets.map((b) => b[k]);
  return encodeBlock(pick('start'), [pick('count'), pick('sum'), pick('min'), pick('max'), pick('last')]);
}

/** The buckets of one series' span, in time order. */
export function readSpan(sql: SqlStorage, level: Level, sid: number, spanStart: number): Bucket[] {
  const row = sql
    .exec<{ block: ArrayBuffer }>(
      `SELECT block FROM ${LEVELS[level].table} WHERE key = ?`,
      spanKey(level, sid, spanStart),
    )
    .toArray()[0];
  return row ? decodeBuckets(row.block) : [];
}

/**
 * Replaces a span's buckets by start (null removes one; the others stay), keeps the level's
 * bucket count, and returns the span's buckets after the change, in time order.
 */
export function updateSpan(
  sql: SqlStorage,
  level: Level,
  sid: number,
  spanStart: number,
  changes: ReadonlyMap<number, Bucket | null>,
): Bucket[] {
  const byStart = new Map(readSpan(sql, level, sid, spanStart).map((b) => [b.start, b]));
  const before = byStart.size;
  for (const [start, b] of changes) {
    if (b) byStart.set(start, b);
    else byStart.delete(start);
  }
  const buckets = [...byStart.values()].sort((a, b) => a.start - b.start);
  addBucketCount(sql, level, buckets.length - before);
  const key = spanKey(level, sid, spanStart);
  const { table } = LEVELS[level];
  if (buckets.length === 0) sql.exec(`DELETE FROM ${table} WHERE key = ?`, key);
  else sql.exec(`INSERT OR REPLACE INTO ${table} (key, block) VALUES (?, ?)`, key, encodeBuckets(buckets));
  return buckets;
}

/** Aggregates of buckets in time order (`last` is the latest one's), or null for none. */
export function totals(buckets: readonly Totals[]): Totals | null {
  if (buckets.length === 0) return null;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const b of buckets) {
    count += b.count;
    sum += b.sum;
    min = Math.min(min, b.min);
    max = Math.max(max, b.max);
  }
  return { count, sum, min, max, last: buckets[buckets.length - 1]!.last };
}

/**
 * A late part added to what a bucket holds. Its `last` wins: late rows are most often the newer
 * ones, and rollups keep no time of `last`.
 */
export function addPart(held: Totals | undefined, part: Totals): Totals {
  if (!held) return part;
  return {
    count: held.count + part.count,
    sum: held.sum + part.sum,
    min: Math.min(held.min, part.min),
    max: Math.max(held.max, part.max),
    last: part.last,
  };
}

/** The buckets of one series overlapping [from, to), in time order. */
export function bucketsOf(sql: SqlStorage, level: Level, sid: number, from: number, to: number): Bucket[] {
  const first = bucketOf(level, from);
  const rows = sql
    .exec<{ block: ArrayBuffer }>(
      `SELECT block FROM ${LEVELS[level].table} WHERE key >= ? AND key < ? ORDER BY key`,
      ...keyRange(level, sid, spanOf(level, first), to),
    )
    .toArray();
  const out: Bucket[] = [];
  for (const r of rows) for (const b of decodeBuckets(r.block)) if (b.start >= first && b.start < to) out.push(b);
  return out;
}

/** The rows of a level with keys in [low, high), in key order. */
export function spanRows(
  sql: SqlStorage,
  level: Level,
  low: number,
  high: number,
): { key: number; block: ArrayBuffer }[] {
  return sql
    .exec<{ key: number; block: ArrayBuffer }>(
      `SELECT key, block FROM ${LEVELS[level].table} WHERE key >= ? AND key < ? ORDER BY key`,
      low,
      high,
    )
    .toArray();
}

/** Buckets in these rows, from their blocks' headers (nothing decoded). */
export function countBuckets(rows: readonly { block: ArrayBuffer }[]): number {
  let n = 0;
  for (const r of rows) n += blockLength(new Uint8Array(r.block));
  return n;
}

/** Buckets held at a level, kept as rows change (a count over rows would read every block). */
export const bucketCount = (sql: SqlStorage, level: Level) => getMeta<number>(sql, LEVELS[level].countKey) ?? 0;

export function addBucketCount(sql: SqlStorage, level: Level, delta: number): void {
  if (delta !== 0) setMeta(sql, LEVELS[level].countKey, Math.max(0, bucketCount(sql, level) + delta));
}

/** Buckets of `level` before this have been swept (null: none yet). */
export const watermark = (sql: SqlStorage, level: Level) => getMeta<number>(sql, LEVELS[level].watermarkKey) ?? null;

/** Moves a watermark forward only: a raised retention does not bring swept buckets back. */
export function advanceWatermark(sql: SqlStorage, level: Level, through: number): void {
  const current = watermark(sql, level);
  if (current === null || through > current) setMeta(sql, LEVELS[level].watermarkKey, through);
}

/** The oldest span start held at a level, or null. One probe of the key per series. */
export function oldestHeldSpan(sql: SqlStorage, level: Level): number | null {
  const key = sql
    .exec<{ k: number | null }>(
      `SELECT MIN((SELECT MIN(key) FROM ${LEVELS[level].table} WHERE key >= s.sid * ${SID_SHIFT} AND key < (s.sid + 1) * ${SID_SHIFT}) % ${SID_SHIFT}) AS k
       FROM series s`,
    )
    .one().k;
  return key === null ? null : key * LEVELS[level].spanMs;
}

/** Deletes one series' rows at every level (the series is being deleted). */
export function deleteSeriesRollups(sql: SqlStorage, sid: number): void {
  const range = seriesKeys(sid);
  for (const level of Object.keys(LEVELS) as Level[]) {
    const { table } = LEVELS[level];
    const n = countBuckets(
      sql.exec<{ block: ArrayBuffer }>(`SELECT block FROM ${table} WHERE key >= ? AND key < ?`, ...range).toArray(),
    );
    sql.exec(`DELETE FROM ${table} WHERE key >= ? AND key < ?`, ...range);
    addBucketCount(sql, level, -n);
  }
}
