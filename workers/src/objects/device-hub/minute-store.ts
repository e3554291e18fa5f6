import { blockLength, decodeBlock, encodeBlock } from '../../services/storage/codec/index.ts';
import { unsealMinutes } from './blocks-unseal.ts';
import { scanRaw } from './raw-read.ts';
import { getMeta, setMeta } from './store.ts';
import { lazyTable, tableExists } from './lazy-tables.ts';
import { HOUR_MS, MINUTE_MS } from '../../time.ts';
import { addColumnIfMissing } from '../sqlite-columns.ts';

/**
 * The DeviceHub's 1-minute rollups: one row per (series, UTC hour) holding that hour's minutes
 * as a column block (minute start, count, sum, min, max, last). A row per minute anywhere in
 * SQLite costs at least ~50 B (8 B per raw sample at 10 s); a block of 60 minutes shares one key
 * and one B-tree cell, and the codec compresses its columns.
 *
 * The key is one integer, `sid × 2^24 + hours since the epoch` (hours fit 24 bits until the
 * year 3883), as the rowid: a table B-tree keeps a row of up to ~4 KB in its page, where a
 * WITHOUT ROWID table (an index B-tree) spills anything over ~1 KB into a whole overflow page,
 * and a compressed hour of minutes is about 1.4 KB.
 *
 * Hours before the minute watermark (`meta.minuteWatermark`) have been swept: their minutes are
 * gone from here, and D1's hour row is complete, so late data there is merged into it once
 * (minute-flush.ts) instead of replacing it with a part.
 */

/** One minute's aggregates. */
export interface Minute {
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

/** An hour's aggregates over its minutes (what D1's hour row holds). */
export type HourTotals = Omit<Minute, 'minute'>;

/** The outbox of late parts of hours D1 already has (minute-flush.ts): only devices that send late data have one. */
export const minuteMerges = lazyTable(
  'minute_merges',
  `(token TEXT PRIMARY KEY, sid INTEGER NOT NULL, hour INTEGER NOT NULL,
    count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL) WITHOUT ROWID`,
);

export function createMinuteTables(sql: SqlStorage): void {
  const existed = tableExists(sql, 'minute_hours');
  sql.exec(`
    CREATE TABLE IF NOT EXISTS minute_hours (key INTEGER PRIMARY KEY, block BLOB NOT NULL);
  `);
  // D1's integer id of each series (series.num), learnt at registration; objects older than it learn it at their next flush.
  addColumnIfMissing(sql, 'series', 'num', 'INTEGER');
  if (!existed) adoptD1Minutes(sql);
}

/**
 * An object from before minutes lived here: its minutes were in D1 (`rollups_1m`, dropped by
 * migration 0010 once their hours were built). The current and the previous hour are rebuilt
 * from the raw samples, which hold all of them (samples still arriving for the minutes around
 * the deploy are counted once); earlier hours are complete in D1, so late data there is merged
 * (the watermark). A late sample for such an hour that lands in a minute which already had
 * samples is merged with them, so they count twice: rebuilding every hour raw still holds
 * would close that, at the cost of re-flushing up to the raw retention of every object once.
 */
function adoptD1Minutes(sql: SqlStorage): void {
  if (sql.exec('SELECT 1 FROM series LIMIT 1').toArray().length === 0) return;
  const hour = hourOf(Date.now()) - HOUR_MS;
  setMeta(sql, 'minuteWatermark', hour);
  // Head and blocks alike: a dirty minute's samples must all be in the head (pendingRollups reads it).
  const minutes: [number, number][] = [];
  for (const { sid } of sql.exec<{ sid: number }>('SELECT sid FROM series').toArray()) {
    let last = -1;
    scanRaw(sql, sid, hour, Number.MAX_SAFE_INTEGER, (ts) => {
      const minute = ts - (ts % MINUTE_MS);
      if (minute !== last) minutes.push([sid, (last = minute)]);
    });
  }
  unsealMinutes(sql, minutes);
  sql.exec(
    `INSERT INTO dirty_minutes (sid, minute, gen)
     SELECT value ->> 0, value ->> 1, 0 FROM json_each(?) WHERE true
     ON CONFLICT (sid, minute) DO UPDATE SET gen = gen + 1`,
    JSON.stringify(minutes),
  );
}

export const hourOf = (ts: number) => ts - (ts % HOUR_MS);

const SID_SHIFT = 2 ** 24;
/** The row key of a series' hour. */
export const hourKey = (sid: number, hour: number) => sid * SID_SHIFT + Math.floor(hour / HOUR_MS);
/** Keys of one series' hours in [from, to) (hour starts). */
export const keyRange = (sid: number, from: number, to: number): [number, number] => [
  sid * SID_SHIFT + Math.ceil(from / HOUR_MS),
  sid * SID_SHIFT + Math.ceil(to / HOUR_MS),
];
/** Keys of all of one series' hours. */
export const seriesKeys = (sid: number): [number, number] => [sid * SID_SHIFT, (sid + 1) * SID_SHIFT];
/** SQL for the hour (epoch ms) of a `key` column. */
export const HOUR_OF_KEY_SQL = `(key % ${SID_SHIFT}) * ${HOUR_MS}`;

export function readHour(sql: SqlStorage, sid: number, hour: number): Minute[] {
  const row = sql
    .exec<{ block: ArrayBuffer }>('SELECT block FROM minute_hours WHERE key = ?', hourKey(sid, hour))
    .toArray()[0];
  return row ? decodeMinutes(row.block) : [];
}

export function decodeMinutes(block: ArrayBuffer | Uint8Array): Minute[] {
  const { ts, columns } = decodeBlock(block instanceof Uint8Array ? block : new Uint8Array(block));
  const [count, sum, min, max, last] = columns as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  return Array.from(ts, (minute, i) => ({
    minute,
    count: count[i]!,
    sum: sum[i]!,
    min: min[i]!,
    max: max[i]!,
    last: last[i]!,
  }));
}

function encodeMinutes(minutes: readonly Minute[]): Uint8Array {
  const pick = (k: keyof Minute) => minutes.map((m) => m[k]);
  return encodeBlock(pick('minute'), [pick('count'), pick('sum'), pick('min'), pick('max'), pick('last')]);
}

/**
 * Replaces the given minutes of one hour row (the others stay) and returns the hour's totals
 * over all its minutes, or null when none is left (the row is then deleted). Adjusts the
 * object's minute count by the minutes added.
 */
export function mergeMinutes(sql: SqlStorage, sid: number, hour: number, fresh: readonly Minute[]): HourTotals | null {
  const byMinute = new Map(readHour(sql, sid, hour).map((m) => [m.minute, m]));
  const before = byMinute.size;
  for (const m of fresh) byMinute.set(m.minute, m);
  const minutes = [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  addMinuteCount(sql, minutes.length - before);
  if (minutes.length === 0) {
    sql.exec('DELETE FROM minute_hours WHERE key = ?', hourKey(sid, hour));
    return null;
  }
  sql.exec(
    'INSERT OR REPLACE INTO minute_hours (key, block) VALUES (?, ?)',
    hourKey(sid, hour),
    encodeMinutes(minutes),
  );
  return totals(minutes);
}

/** Aggregates of minutes in time order: `last` is the latest minute's. */
export function totals(minutes: readonly Minute[]): HourTotals {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const m of minutes) {
    count += m.count;
    sum += m.sum;
    min = Math.min(min, m.min);
    max = Math.max(max, m.max);
  }
  return { count, sum, min, max, last: minutes[minutes.length - 1]!.last };
}

/** Hours before this have had their minutes swept (null: none yet). */
export const minuteWatermark = (sql: SqlStorage) => getMeta<number>(sql, 'minuteWatermark') ?? null;

/** Moves the watermark forward only: a raised retention does not bring swept minutes back. */
export function advanceWatermark(sql: SqlStorage, through: number): void {
  const current = minuteWatermark(sql);
  if (current === null || through > current) setMeta(sql, 'minuteWatermark', through);
}

/** Minutes in these hour rows, from their blocks' headers (nothing decoded). */
export function countMinutes(rows: readonly { block: ArrayBuffer }[]): number {
  let n = 0;
  for (const r of rows) n += blockLength(new Uint8Array(r.block));
  return n;
}

/** Minutes held, kept as rows change (a count over rows would read every block). */
export const minuteCount = (sql: SqlStorage) => getMeta<number>(sql, 'minuteCount') ?? 0;

export function addMinuteCount(sql: SqlStorage, delta: number): void {
  if (delta !== 0) setMeta(sql, 'minuteCount', Math.max(0, minuteCount(sql) + delta));
}

/** The oldest hour whose minutes are held, or null. One probe of the key per series. */
export function oldestHeldHour(sql: SqlStorage): number | null {
  const key = sql
    .exec<{ k: number | null }>(
      `SELECT MIN((SELECT MIN(key) FROM minute_hours WHERE key >= s.sid * ${SID_SHIFT} AND key < (s.sid + 1) * ${SID_SHIFT}) % ${SID_SHIFT}) AS k
       FROM series s`,
    )
    .one().k;
  return key === null ? null : key * HOUR_MS;
}
