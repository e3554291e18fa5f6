import { sql } from 'drizzle-orm';
import { bare, schema, statement } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { DAY_MS, HOUR_MS } from '../../time.ts';

/**
 * Deletes rollups past their org's retention, level by level, in bounded chunks.
 *
 * Minutes live in the DeviceHubs, which sweep them from their alarms; devices whose row reports
 * minutes past the org's window are asked to sweep now. Hours are swept per organisation in day
 * order, whole days at a time, and each chunk moves the org's watermark in `rollup_sweeps` in
 * the same transaction, so the roll-up knows whether a day still has all its hours (recompute)
 * or lost them to the sweep (merge late hours). A chunk never passes a day still marked for
 * roll-up, so no hour is deleted before it reached its day; nor the oldest hour whose minutes a
 * device of the org still holds (`devices.minutes_from`, reported with the hours the device
 * writes), because such an hour can be rewritten from them as an absolute value, which a day
 * already past the watermark would count twice.
 */

/** Rows per DELETE statement (plus at most one day's worth): short writes that leave room for flushes. */
const ROLLUP_SWEEP_CHUNK = 5_000;
/** Statements per organisation per cron run; what is left goes in the next run. */
const MAX_CHUNKS = 10;
/** DeviceHubs asked to sweep their minutes per cron run. */
const MINUTE_SWEEPS_PER_RUN = 50;
/** Merge tokens are kept this long: a DeviceHub re-sends a merge within seconds, not days. */
const MERGE_TOKEN_TTL_MS = DAY_MS;

const o = schema.organisations;
const s = schema.series;
const dv = schema.devices;
const marks = schema.rollupMarks;
const sweeps = schema.rollupSweeps;
const hours = schema.rollups1h;

/** Sweeps every level of every org until nothing is left to delete or `deadline` passes. */
export async function sweepRollups(d1: D1Database, now: number, deadline: number): Promise<void> {
  const cutoff = now - (now % DAY_MS);
  // The orgs with an hour before their window: one probe of rollups_1h's key per series.
  const { results } = await statement(
    d1,
    sql`SELECT o.${bare(o.id)} AS org_id, ${cutoff} - o.${bare(o.rollup1hRetentionDays)} * ${DAY_MS} AS cap FROM ${o} o
        WHERE EXISTS (SELECT 1 FROM ${s} s JOIN ${hours} r ON r.${bare(hours.sid)} = s.${bare(s.num)}
          WHERE s.${bare(s.orgId)} = o.${bare(o.id)} AND r.${bare(hours.bucket)} < ${cutoff} - o.${bare(o.rollup1hRetentionDays)} * ${DAY_MS})`,
  ).all<{ org_id: string; cap: number }>();
  for (const org of results) {
    for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
      if (!(await sweepChunk(d1, org.org_id, org.cap))) break;
    }
  }
  for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
    if ((await sweepDays(d1, now)) < ROLLUP_SWEEP_CHUNK) break;
  }
  await statement(
    d1,
    sql`DELETE FROM ${schema.rollupMerges} WHERE ${schema.rollupMerges.at} < ${now - MERGE_TOKEN_TTL_MS}`,
  ).run();
}

/** Asks the DeviceHubs whose row reports minutes before their org's window to sweep them now. */
export async function sweepMinutesOf(env: Env, now: number, deadline: number): Promise<void> {
  const cutoffHour = now - (now % HOUR_MS);
  const { results } = await statement(
    env.DB,
    sql`SELECT d.${bare(dv.id)} AS id, ${cutoffHour} - o.${bare(o.rollup1mRetentionDays)} * ${DAY_MS} AS cutoff
        FROM ${dv} d JOIN ${o} o ON o.${bare(o.id)} = d.${bare(dv.orgId)}
        WHERE d.${bare(dv.minutesFrom)} < ${cutoffHour} - o.${bare(o.rollup1mRetentionDays)} * ${DAY_MS}
        LIMIT ${MINUTE_SWEEPS_PER_RUN}`,
  ).all<{ id: string; cutoff: number }>();
  for (const device of results) {
    for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
      if (!(await deviceHubFor(env, device.id).sweepMinutes(device.cutoff))) break;
    }
  }
}

/** Deletes one chunk of an org's hours before `cap` and moves its watermark past them; returns whether more may be left. */
async function sweepChunk(d1: D1Database, orgId: string, cap: number): Promise<boolean> {
  const limits = await statement(
    d1,
    sql`SELECT (SELECT MIN(${bare(marks.bucket)}) FROM ${marks}
          WHERE ${bare(marks.level)} = '1d' AND ${bare(marks.orgId)} = ${orgId}) AS marked,
        (SELECT MIN(${bare(dv.minutesFrom)}) FROM ${dv} WHERE ${bare(dv.orgId)} = ${orgId}) AS minutes`,
  ).first<{ marked: number | null; minutes: number | null }>();
  const held = limits?.minutes ?? Infinity;
  const limit = Math.min(cap, limits?.marked ?? Infinity, held - (held % DAY_MS));
  if (!Number.isFinite(limit)) return false;
  const ofOrg = sql`${bare(hours.sid)} IN (SELECT ${bare(s.num)} FROM ${s} WHERE ${bare(s.orgId)} = ${orgId})`;
  const nth = await statement(
    d1,
    sql`SELECT ${bare(hours.bucket)} AS bucket FROM ${hours} WHERE ${ofOrg} AND ${bare(hours.bucket)} < ${limit}
        ORDER BY ${bare(hours.bucket)} LIMIT 1 OFFSET ${ROLLUP_SWEEP_CHUNK - 1}`,
  ).first<{ bucket: number }>();
  const through = nth ? Math.min(limit, nth.bucket - (nth.bucket % DAY_MS) + DAY_MS) : limit;
  // Checked again inside the transaction: a flush may have marked a day, or reported older minutes, meanwhile.
  const clear = sql`NOT EXISTS (SELECT 1 FROM ${marks} WHERE ${bare(marks.level)} = '1d'
      AND ${bare(marks.orgId)} = ${orgId} AND ${bare(marks.bucket)} < ${through})
    AND NOT EXISTS (SELECT 1 FROM ${dv} WHERE ${bare(dv.orgId)} = ${orgId} AND ${bare(dv.minutesFrom)} < ${through})`;
  await d1.batch([
    statement(d1, sql`DELETE FROM ${hours} WHERE ${ofOrg} AND ${bare(hours.bucket)} < ${through} AND ${clear}`),
    statement(
      d1,
      sql`INSERT INTO ${sweeps} (${bare(sweeps.orgId)}, ${bare(sweeps.level)}, ${bare(sweeps.through)})
          SELECT ${orgId}, '1h', ${through} WHERE ${clear}
          ON CONFLICT DO UPDATE SET ${bare(sweeps.through)} = MAX(${bare(sweeps.through)}, excluded.${bare(sweeps.through)})`,
    ),
  ]);
  return nth !== null && through < limit;
}

/** Deletes up to one chunk of expired daily rows of every org; returns how many it deleted. */
async function sweepDays(d1: D1Database, now: number): Promise<number> {
  // Organisations stay the outer loop, so each costs one probe of series' org index and of the
  // day key per series. rollup_1d_retention_days is NULL for orgs that keep days forever: the
  // comparison is then NULL.
  const t = schema.rollups1d;
  const cutoff = now - (now % DAY_MS);
  const result = await statement(
    d1,
    sql`DELETE FROM ${t} WHERE (${bare(t.sid)}, ${bare(t.bucket)}) IN (
        SELECT r.${bare(t.sid)}, r.${bare(t.bucket)} FROM ${o} o CROSS JOIN ${s} s CROSS JOIN ${t} r
        WHERE s.${bare(s.orgId)} = o.${bare(o.id)} AND r.${bare(t.sid)} = s.${bare(s.num)}
          AND r.${bare(t.bucket)} < ${cutoff} - o.${bare(o.rollup1dRetentionDays)} * ${DAY_MS}
        LIMIT ${ROLLUP_SWEEP_CHUNK})`,
  ).run();
  return result.meta.changes;
}
