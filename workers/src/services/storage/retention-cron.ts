import { sql } from 'drizzle-orm';
import { bare, schema, statement } from '../../db.ts';
import { DAY_MS, DAYS, HOURS, type Level } from './levels.ts';

/**
 * Deletes rollups past their org's retention, level by level, in bounded chunks.
 *
 * The 1-minute and 1-hour levels are swept per organisation in bucket order, whole buckets of
 * the next level at a time, and each chunk moves the org's watermark in `rollup_sweeps` in the
 * same transaction, so the roll-up always knows whether a coarser bucket still has all its finer
 * rows (recompute) or lost them to the sweep (merge late rows). A chunk never passes a bucket
 * still marked for roll-up, so no row is deleted before it has reached the next level; and hours
 * are swept only where minutes were, so a day never takes in an hour rebuilt from minutes it
 * already counted.
 */

/** Rows per DELETE statement (plus at most one coarser bucket's worth): short writes that leave room for flushes. */
const ROLLUP_SWEEP_CHUNK = 5_000;
/** Statements per level and organisation per cron run; what is left goes in the next run. */
const MAX_CHUNKS = 10;

const o = schema.organisations;
const marks = schema.rollupMarks;
const sweeps = schema.rollupSweeps;

/** Sweeps every level of every org until nothing is left to delete or `deadline` passes. */
export async function sweepRollups(d1: D1Database, now: number, deadline: number): Promise<void> {
  for (const level of [HOURS, DAYS]) {
    const days = level === HOURS ? o.rollup1mRetentionDays : o.rollup1hRetentionDays;
    const cutoff = now - (now % level.size);
    // One probe of the (org_id, bucket) index per organisation.
    const { results } = await statement(
      d1,
      sql`SELECT o.${bare(o.id)} AS org_id, ${cutoff} - o.${bare(days)} * ${DAY_MS} AS cap FROM ${o} o
          WHERE EXISTS (SELECT 1 FROM ${level.source} r
            WHERE r.${bare(level.source.orgId)} = o.${bare(o.id)} AND r.${bare(level.source.bucket)} < ${cutoff} - o.${bare(days)} * ${DAY_MS})`,
    ).all<{ org_id: string; cap: number }>();
    for (const org of results) {
      for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
        if (!(await sweepChunk(d1, level, org.org_id, org.cap))) break;
      }
    }
  }
  for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
    if ((await sweepDays(d1, now)) < ROLLUP_SWEEP_CHUNK) break;
  }
}

/**
 * Deletes one chunk of an org's `level.source` rows before `cap` and moves its watermark past
 * them; returns whether more may be left.
 */
async function sweepChunk(d1: D1Database, level: Level, orgId: string, cap: number): Promise<boolean> {
  const src = level.source;
  const limits = await statement(
    d1,
    sql`SELECT (SELECT MIN(${bare(marks.bucket)}) FROM ${marks}
          WHERE ${bare(marks.level)} = ${level.mark} AND ${bare(marks.orgId)} = ${orgId}) AS marked,
        (SELECT ${bare(sweeps.through)} FROM ${sweeps}
          WHERE ${bare(sweeps.orgId)} = ${orgId} AND ${bare(sweeps.level)} = '1m') AS minutes`,
  ).first<{ marked: number | null; minutes: number | null }>();
  let limit = Math.min(cap, limits?.marked ?? Infinity);
  if (level === DAYS)
    limit = Math.min(limit, limits?.minutes == null ? -Infinity : limits.minutes - (limits.minutes % DAY_MS));
  if (!Number.isFinite(limit)) return false;
  const nth = await statement(
    d1,
    sql`SELECT ${bare(src.bucket)} AS bucket FROM ${src} WHERE ${bare(src.orgId)} = ${orgId} AND ${bare(src.bucket)} < ${limit}
        ORDER BY ${bare(src.bucket)} LIMIT 1 OFFSET ${ROLLUP_SWEEP_CHUNK - 1}`,
  ).first<{ bucket: number }>();
  const through = nth ? Math.min(limit, nth.bucket - (nth.bucket % level.size) + level.size) : limit;
  // Checked again inside the transaction: a flush may have marked a bucket below `through` meanwhile.
  const unmarked = sql`NOT EXISTS (SELECT 1 FROM ${marks} WHERE ${bare(marks.level)} = ${level.mark}
      AND ${bare(marks.orgId)} = ${orgId} AND ${bare(marks.bucket)} < ${through})`;
  await d1.batch([
    statement(
      d1,
      sql`DELETE FROM ${src} WHERE ${bare(src.orgId)} = ${orgId} AND ${bare(src.bucket)} < ${through} AND ${unmarked}`,
    ),
    statement(
      d1,
      sql`INSERT INTO ${sweeps} (${bare(sweeps.orgId)}, ${bare(sweeps.level)}, ${bare(sweeps.through)})
          SELECT ${orgId}, ${level.sourceName}, ${through} WHERE ${unmarked}
          ON CONFLICT DO UPDATE SET ${bare(sweeps.through)} = MAX(${bare(sweeps.through)}, excluded.${bare(sweeps.through)})`,
    ),
  ]);
  return nth !== null && through < limit;
}

/** Deletes up to one chunk of expired daily rows of every org; returns how many it deleted. */
async function sweepDays(d1: D1Database, now: number): Promise<number> {
  // CROSS JOIN keeps organisations as the outer loop, so each org costs one probe of the
  // (org_id, bucket) index. rollup_1d_retention_days is NULL for orgs that keep days forever:
  // the comparison is then NULL.
  const t = schema.rollups1d;
  const cutoff = now - (now % DAY_MS);
  const result = await statement(
    d1,
    sql`DELETE FROM ${t} WHERE rowid IN (
        SELECT r.rowid FROM ${o} o CROSS JOIN ${t} r
        WHERE r.${bare(t.orgId)} = o.${bare(o.id)} AND r.${bare(t.bucket)} < ${cutoff} - o.${bare(o.rollup1dRetentionDays)} * ${DAY_MS}
        LIMIT ${ROLLUP_SWEEP_CHUNK})`,
  ).run();
  return result.meta.changes;
}
