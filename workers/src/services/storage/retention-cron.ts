import { sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { bare, schema, statement } from '../../db.ts';

/**
 * Deletes rollups past their org's retention, level by level, in bounded chunks.
 *
 * Cutoffs are aligned to the next level's bucket (1m rows go by whole hours, 1h rows by whole
 * days), so a coarser bucket is either fully backed by finer rows or by none: the roll-up never
 * recomputes an hour or a day from part of its data (see rollup-cron).
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Rows per DELETE statement: one short write, so ingest flushes queued behind it are not held up. */
const ROLLUP_SWEEP_CHUNK = 5_000;
/** Statements per level per cron run; what is left goes in the next run. */
const MAX_CHUNKS = 10;

interface Level {
  table: typeof schema.rollups1m | typeof schema.rollups1h | typeof schema.rollups1d;
  days: SQLiteColumn;
  align: number;
}

const o = schema.organisations;
const LEVELS: Level[] = [
  { table: schema.rollups1m, days: o.rollup1mRetentionDays, align: HOUR_MS },
  { table: schema.rollups1h, days: o.rollup1hRetentionDays, align: DAY_MS },
  // rollup_1d_retention_days is NULL for orgs that keep days forever; the comparison is then NULL.
  { table: schema.rollups1d, days: o.rollup1dRetentionDays, align: DAY_MS },
];

/** Sweeps every level of every org until nothing is left to delete or `deadline` passes. */
export async function sweepRollups(d1: D1Database, now: number, deadline: number): Promise<void> {
  for (const level of LEVELS) {
    for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
      if ((await sweepChunk(d1, level, now)) < ROLLUP_SWEEP_CHUNK) break;
    }
  }
}

/** Deletes up to one chunk of expired rows of `level`; returns how many it deleted. */
async function sweepChunk(d1: D1Database, level: Level, now: number): Promise<number> {
  // CROSS JOIN keeps organisations as the outer loop, so each org costs one probe of the
  // (org_id, bucket) index, and one statement serves every org.
  const { table: t, days } = level;
  const cutoff = now - (now % level.align);
  const result = await statement(
    d1,
    sql`DELETE FROM ${t} WHERE rowid IN (
        SELECT r.rowid FROM ${o} o CROSS JOIN ${t} r
        WHERE r.${bare(t.orgId)} = o.${bare(o.id)} AND r.${bare(t.bucket)} < ${cutoff} - o.${bare(days)} * ${DAY_MS}
        LIMIT ${ROLLUP_SWEEP_CHUNK})`,
  ).run();
  return result.meta.changes;
}
