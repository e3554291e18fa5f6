import { DAY_MS } from '../../time.ts';
import {
  addBucketCount,
  advanceWatermark,
  bucketOf,
  countBuckets,
  type Level,
  LEVELS,
  keyRange,
  readSpan,
  spanOf,
  spanOfKey,
  updateSpan,
  watermark,
} from './rollup-store.ts';
import { getMeta, setMeta } from './store.ts';
import { orgRetentionDays, SWEEP_AGAIN_MS, UPKEEP_INTERVAL_MS } from './retention.ts';

/**
 * Retention of the DeviceHub's rollups (the org's `rollup1m/1h/1dRetentionDays`), from the alarm
 * (the settings read at most hourly) or when the cron finds the device row reporting minutes
 * past the org's window. Rows go in bounded chunks. Every watermark moves first, in the same
 * transaction, so late data for a bucket being swept is added to the next level, never rebuilt
 * from what is left. Sweeping a level sweeps the finer ones to the same point (see
 * rollup-store.ts), and no level is swept past a minute still waiting for its flush.
 */

/** Meta key of the cutoff each level was last swept through to. */
const SWEPT_KEY = 'rollupsSweptTo';

/** Rows deleted per run, so one run stays short. */
export const ROLLUP_SWEEP_CHUNK = 5_000;

/** The level and the finer ones, which a sweep of it takes along. */
const SWEPT_WITH: Record<Level, Level[]> = { '1m': ['1m'], '1h': ['1m', '1h'], '1d': ['1m', '1h', '1d'] };

/**
 * Deletes up to one chunk of `level`'s buckets before `cutoff` (minutes by the hour, hours and
 * days by the day); returns whether more may be left.
 */
export function sweepLevel(sql: SqlStorage, level: Level, cutoff: number): boolean {
  const oldestDirty = sql.exec<{ m: number | null }>('SELECT MIN(minute) AS m FROM dirty_minutes').one().m;
  const limit = oldestDirty === null ? cutoff : Math.min(cutoff, oldestDirty);
  const before = level === '1m' ? bucketOf('1h', limit) : bucketOf('1d', limit);
  for (const l of SWEPT_WITH[level]) advanceWatermark(sql, l, before);
  let left = ROLLUP_SWEEP_CHUNK;
  for (const l of SWEPT_WITH[level]) {
    left -= deleteBefore(sql, l, before, left);
    if (left <= 0) return true;
  }
  return false;
}

/** Deletes up to `limit` rows of a level holding buckets before `before`; returns how many it touched. */
function deleteBefore(sql: SqlStorage, level: Level, before: number, limit: number): number {
  const { table } = LEVELS[level];
  let touched = 0;
  for (const { sid } of sql.exec<{ sid: number }>('SELECT sid FROM series ORDER BY sid').toArray()) {
    const [low, high] = keyRange(level, sid, 0, before);
    const rows = sql
      .exec<{ key: number; block: ArrayBuffer }>(
        `SELECT key, block FROM ${table} WHERE key >= ? AND key < ? ORDER BY key LIMIT ?`,
        low,
        high,
        limit - touched,
      )
      .toArray();
    if (rows.length === 0) continue;
    const lastRow = rows[rows.length - 1]!;
    // Only days come in spans longer than what is cut: the span holding `before` keeps its later buckets.
    const split = spanOf(level, before) < before && spanOfKey(level, lastRow.key) === spanOf(level, before);
    const whole = split ? rows.slice(0, -1) : rows;
    if (whole.length > 0) {
      addBucketCount(sql, level, -countBuckets(whole));
      sql.exec(`DELETE FROM ${table} WHERE key >= ? AND key <= ?`, low, whole[whole.length - 1]!.key);
    }
    touched += whole.length;
    // A split row is rewritten only while it still holds buckets before the cut, so a sweep with
    // nothing left to do writes nothing and counts nothing.
    if (split && trimSpan(sql, level, sid, spanOf(level, before), before)) touched++;
    if (touched >= limit) break;
  }
  return touched;
}

/** Drops a span's buckets before `before`; returns whether it held any. */
function trimSpan(sql: SqlStorage, level: Level, sid: number, span: number, before: number): boolean {
  const expired = readSpan(sql, level, sid, span).filter((b) => b.start < before);
  if (expired.length === 0) return false;
  updateSpan(sql, level, sid, span, new Map(expired.map((b) => [b.start, null])));
  return true;
}

/** The alarm's step: sweeps with the org's settings; returns when the alarm must come back (Infinity: no need). */
export async function upkeepRollups(
  d1: D1Database,
  sql: SqlStorage,
  orgId: string,
  now: number,
  transact: <T>(fn: () => T) => T,
): Promise<number> {
  let more = false;
  // A level swept through to a cutoff is not looked at again until the cutoff moves (hourly for
  // minutes, daily for hours and days): nothing below a watermark is ever written again.
  const done = getMeta<Partial<Record<Level, number>>>(sql, SWEPT_KEY) ?? {};
  for (const level of ['1d', '1h', '1m'] as const) {
    const days = await orgRetentionDays(d1, sql, orgId, now, level);
    if (days === null) continue;
    const cutoff = (level === '1m' ? bucketOf('1h', now) : bucketOf('1d', now)) - days * DAY_MS;
    if (done[level] === cutoff) continue;
    if (transact(() => sweepLevel(sql, level, cutoff))) more = true;
    // Short of the cutoff (a minute still waiting for its flush held it back): again next time.
    else if ((watermark(sql, level) ?? -Infinity) >= cutoff) {
      done[level] = cutoff;
      setMeta(sql, SWEPT_KEY, done);
    }
  }
  if (more) return now + SWEEP_AGAIN_MS;
  const holds = Object.values(LEVELS).some(
    ({ table }) => sql.exec(`SELECT 1 FROM ${table} LIMIT 1`).toArray().length > 0,
  );
  return holds ? now + UPKEEP_INTERVAL_MS : Number.POSITIVE_INFINITY;
}
