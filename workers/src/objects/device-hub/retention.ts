import { eq, sql } from 'drizzle-orm';
import { bare, db, schema } from '../../db.ts';
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

interface RetentionMeta {
  /** The level's retention in days (the name is the first level's: objects hold it so). */
  rawDays: number | null;
  checkedAt: number;
}

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
  /** The device row's storage figures, when they differ from the last ones reported. */
  report: RawFigures | null;
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
  const reported = getMeta<RawFigures>(sql, 'rawReported');
  const changed =
    reported?.bytes !== figures.bytes || reported.samples !== figures.samples || reported.series !== figures.series;
  const holdsSamples =
    sql.exec('SELECT 1 FROM samples LIMIT 1').toArray().length > 0 ||
    sql.exec('SELECT 1 FROM blocks LIMIT 1').toArray().length > 0;
  return {
    report: changed ? figures : null,
    nextAt:
      swept === RAW_SWEEP_CHUNK
        ? now + SWEEP_AGAIN_MS
        : holdsSamples
          ? now + UPKEEP_INTERVAL_MS
          : Number.POSITIVE_INFINITY,
  };
}

/** The D1 statement that records the figures on the device row; run it with the flush batch. */
export function rawReportStatement(deviceId: string, orgId: string, figures: RawFigures) {
  const d = schema.devices;
  return sql`UPDATE ${d} SET ${bare(d.rawBytes)} = ${figures.bytes}, ${bare(d.rawSamples)} = ${figures.samples},
      ${bare(d.seriesCount)} = ${figures.series}
    WHERE ${bare(d.id)} = ${deviceId} AND ${bare(d.orgId)} = ${orgId}`;
}

/** Remembers figures D1 now has, so unchanged ones are not written again. */
export function markRawReported(sql: SqlStorage, figures: RawFigures): void {
  setMeta(sql, 'rawReported', figures);
}

/** Samples before this time are expired; whole minutes, so a minute's rollup is never cut in half. */
function rawCutoff(now: number, rawDays: number): number {
  const cutoff = now - rawDays * DAY_MS;
  return cutoff - (cutoff % MINUTE_MS);
}

/** The org's retention columns the DeviceHub enforces, and the meta key each is cached under. */
const RETENTION = {
  raw: { column: schema.organisations.rawRetentionDays, meta: 'retention' },
  '1m': { column: schema.organisations.rollup1mRetentionDays, meta: 'minuteRetention' },
} as const;

/** The org's retention of raw samples or of 1-minute rollups, read from D1 at most hourly. */
export async function orgRetentionDays(
  d1: D1Database,
  sql: SqlStorage,
  orgId: string,
  now: number,
  level: keyof typeof RETENTION,
): Promise<number | null> {
  const { column, meta } = RETENTION[level];
  const cached = getMeta<RetentionMeta>(sql, meta);
  if (cached && now - cached.checkedAt < RETENTION_LOOKUP_MS) return cached.rawDays;
  const o = schema.organisations;
  const row = await db(d1).select({ days: column }).from(o).where(eq(o.id, orgId)).get();
  const days = row?.days ?? null;
  setMeta(sql, meta, { rawDays: days, checkedAt: now } satisfies RetentionMeta);
  return days;
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
