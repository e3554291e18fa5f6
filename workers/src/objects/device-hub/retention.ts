import { eq } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { sweepBlocks } from './blocks-sweep.ts';
import { countRaw } from './raw-read.ts';
import { getMeta, setMeta } from './store.ts';
import { DAY_MS, MINUTE_MS } from '../../time.ts';

/**
 * Raw-sample upkeep for a DeviceHub, run from its alarm: deletes samples past the org's raw
 * retention in bounded chunks, and keeps the storage figures the devices row shows.
 * Everything here is safe to repeat, because alarms run at least once.
 */

/** The org's raw retention is read from D1 at most this often; a change applies within the hour. */
const RETENTION_LOOKUP_MS = 3_600_000;
/** Samples deleted per alarm run, so one run stays short. */
export const RAW_SWEEP_CHUNK = 5_000;
/** Delay before the next chunk when a sweep left expired samples behind. */
export const SWEEP_AGAIN_MS = 1_000;
/** An object holding samples or minutes comes back at least this often, so an idle device's data still expires. */
export const UPKEEP_INTERVAL_MS = 6 * 3_600_000;
/** Full recount of samples (a scan of the table); in between the count follows batches and sweeps. */
const RECOUNT_MS = 24 * 3_600_000;

/** The org's retention of each level in days (null: kept forever), as last read from D1. */
interface RetentionMeta {
  days: Record<RetentionLevel, number | null>;
  checkedAt: number;
}

export type RetentionLevel = 'raw' | '1m' | '1h' | '1d';

interface SampleCount {
  samples: number;
  /** Batches received up to this time are included in `samples`. */
  through: number;
  recountedAt: number;
}

export interface RawFigures {
  bytes: number;
  samples: number;
  /** Series the device has registered (its series limit counts these). */
  series: number;
}

export interface RawUpkeep {
  /** The device's storage figures (device-report.ts decides when the device row gets them). */
  figures: RawFigures;
  /** When the alarm must come back for raw upkeep (Infinity: no need). */
  nextAt: number;
}

/** Sweeps expired samples and works out what to report; `now` is the alarm's clock. */
export async function upkeepRaw(d1: D1Database, sql: SqlStorage, orgId: string, now: number): Promise<RawUpkeep> {
  const rawDays = await orgRetentionDays(d1, sql, orgId, now, 'raw');
  const swept = rawDays === null ? 0 : sweepSamples(sql, rawCutoff(now, rawDays));
  const figures: RawFigures = {
    bytes: sql.databaseSize,
    samples: countSamples(sql, now, swept),
    series: sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM series').one().n,
  };
  const holdsSamples =
    sql.exec('SELECT 1 FROM samples LIMIT 1').toArray().length > 0 ||
    sql.exec('SELECT 1 FROM blocks LIMIT 1').toArray().length > 0;
  return {
    figures,
    nextAt:
      swept === RAW_SWEEP_CHUNK
        ? now + SWEEP_AGAIN_MS
        : holdsSamples
          ? now + UPKEEP_INTERVAL_MS
          : Number.POSITIVE_INFINITY,
  };
}

/** Samples before this time are expired; whole minutes, so a minute's rollup is never cut in half. */
function rawCutoff(now: number, rawDays: number): number {
  const cutoff = now - rawDays * DAY_MS;
  return cutoff - (cutoff % MINUTE_MS);
}

/**
 * The org's retention of one level, read from D1 at most hourly, all levels in one query (a
 * change applies within the hour).
 */
export async function orgRetentionDays(
  d1: D1Database,
  sql: SqlStorage,
  orgId: string,
  now: number,
  level: RetentionLevel,
): Promise<number | null> {
  const cached = getMeta<Partial<RetentionMeta>>(sql, 'retention');
  if (cached?.days && cached.checkedAt !== undefined && now - cached.checkedAt < RETENTION_LOOKUP_MS) {
    return cached.days[level];
  }
  const o = schema.organisations;
  const row = await db(d1)
    .select({
      raw: o.rawRetentionDays,
      '1m': o.rollup1mRetentionDays,
      '1h': o.rollup1hRetentionDays,
      '1d': o.rollup1dRetentionDays,
    })
    .from(o)
    .where(eq(o.id, orgId))
    .get();
  const days = {
    raw: row?.raw ?? null,
    '1m': row?.['1m'] ?? null,
    '1h': row?.['1h'] ?? null,
    '1d': row?.['1d'] ?? null,
  };
  setMeta(sql, 'retention', { days, checkedAt: now } satisfies RetentionMeta);
  return days[level];
}

/**
 * Deletes up to RAW_SWEEP_CHUNK samples older than `cutoff`, series by series: whole blocks
 * before it, the boundary block trimmed, then head rows along the (sid, ts) key.
 */
function sweepSamples(sql: SqlStorage, cutoff: number): number {
  // A minute still waiting for its flush keeps its samples: its rollup is computed from them,
  // and 1-minute rollups are kept longer than raw data (a backfill of old data still gets rolled up).
  const oldestDirty = sql.exec<{ m: number | null }>('SELECT MIN(minute) AS m FROM dirty_minutes').one().m;
  const before = oldestDirty === null ? cutoff : Math.min(cutoff, oldestDirty);
  let left = RAW_SWEEP_CHUNK;
  for (const { sid } of sql.exec<{ sid: number }>('SELECT sid FROM series ORDER BY sid').toArray()) {
    left -= sweepBlocks(sql, sid, before, left);
    if (left === 0) break;
    const cursor = sql.exec(
      'DELETE FROM samples WHERE sid = ?1 AND ts IN (SELECT ts FROM samples WHERE sid = ?1 AND ts < ?2 ORDER BY ts LIMIT ?3)',
      sid,
      before,
      left,
    );
    cursor.toArray();
    left -= cursor.rowsWritten;
    if (left === 0) break;
  }
  return RAW_SWEEP_CHUNK - left;
}

/**
 * The number of samples held, head and blocks. A full count scans the head and the block rows,
 * so it runs once a day; in between, the count adds the samples of batches received since and
 * subtracts what sweeps deleted.
 * Samples that replaced an existing (series, ts) or were removed with a series make it drift
 * until the next recount.
 */
function countSamples(sql: SqlStorage, now: number, swept: number): number {
  const prev = getMeta<SampleCount>(sql, 'sampleCount');
  let next: SampleCount;
  if (!prev || now - prev.recountedAt >= RECOUNT_MS) {
    const exact = countRaw(sql, null);
    const through = sql.exec<{ t: number | null }>('SELECT MAX(received_at) AS t FROM batches').one().t ?? 0;
    next = { samples: exact, through, recountedAt: now };
  } else {
    const added = sql
      .exec<{ n: number; through: number | null }>(
        'SELECT COALESCE(SUM(samples), 0) AS n, MAX(received_at) AS through FROM batches WHERE received_at > ?',
        prev.through,
      )
      .one();
    next = { ...prev, samples: prev.samples + added.n - swept, through: added.through ?? prev.through };
  }
  setMeta(sql, 'sampleCount', next);
  return next.samples;
}
