import { eq, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { bare, db, schema, statement } from '../../db.ts';

/**
 * Rolls 1-minute rollups into hours and hours into UTC days, for the buckets marked in
 * `rollup_marks` (hours by the DeviceHub flush, days by the hourly pass here).
 *
 * Idempotent: a marked bucket is recomputed from the finer level as absolute values, never
 * incremented, so a repeated or overlapping run writes the same row. The recompute, the mark
 * of the next level and the deletion of the processed marks run in one D1 batch, which is one
 * transaction: a flush that marks the hour again after that batch inserts a new mark, and one
 * that committed before it is already included in the recompute.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Marks per round: the four statements of a round carry them as one JSON parameter each. */
const MARKS_PER_ROUND = 500;
/** Rounds per level per cron run, so a backlog is worked off over several runs. */
const MAX_ROUNDS = 20;

type RollupTable = typeof schema.rollups1m | typeof schema.rollups1h | typeof schema.rollups1d;

interface Level {
  mark: '1h' | '1d';
  source: RollupTable;
  target: RollupTable;
  size: number;
  /** Retention of the source level: a bucket older than it may have lost source rows. */
  sourceRetention: SQLiteColumn;
}

const HOURS: Level = {
  mark: '1h',
  source: schema.rollups1m,
  target: schema.rollups1h,
  size: HOUR_MS,
  sourceRetention: schema.organisations.rollup1mRetentionDays,
};
const DAYS: Level = {
  mark: '1d',
  source: schema.rollups1h,
  target: schema.rollups1d,
  size: DAY_MS,
  sourceRetention: schema.organisations.rollup1hRetentionDays,
};

/** Rolls up marked hours, then marked days, until no marks are left or `deadline` passes. */
export async function rollUp(d1: D1Database, now: number, deadline: number): Promise<void> {
  for (const level of [HOURS, DAYS]) {
    for (let round = 0; round < MAX_ROUNDS && Date.now() < deadline; round++) {
      if ((await rollUpRound(d1, level, now)) < MARKS_PER_ROUND) break;
    }
  }
}

/** Processes one chunk of marks of `level`; returns how many it took. */
async function rollUpRound(d1: D1Database, level: Level, now: number): Promise<number> {
  const orm = db(d1);
  const m = schema.rollupMarks;
  const results = await orm
    .select({ seriesId: m.seriesId, bucket: m.bucket, orgId: m.orgId })
    .from(m)
    .where(eq(m.level, level.mark))
    .limit(MARKS_PER_ROUND);
  if (results.length === 0) return 0;
  const marks = JSON.stringify(results.map((r) => [r.seriesId, r.bucket, r.orgId]));
  // The source level's retention deletes whole target buckets (see retention-cron), so a mark
  // at or after this cutoff has all its source rows. An older mark (data that arrived after its
  // source level expired) is dropped: recomputing it would overwrite a complete row with a part.
  const cutoff = now - (now % level.size);
  const { source: src, target: dst, size } = level;
  const o = schema.organisations;
  const live = sql`WITH marks AS (
      SELECT m.value ->> 0 AS series_id, m.value ->> 1 AS bucket, m.value ->> 2 AS org_id
      FROM json_each(${marks}) m JOIN ${o} o ON o.${bare(o.id)} = m.value ->> 2
      WHERE m.value ->> 1 >= ${cutoff} - o.${bare(level.sourceRetention)} * ${DAY_MS})`;
  const inBucket = (alias: string) =>
    sql`${sql.raw(alias)}.${bare(src.seriesId)} = m.series_id AND ${sql.raw(alias)}.${bare(src.bucket)} >= m.bucket AND ${sql.raw(alias)}.${bare(src.bucket)} < m.bucket + ${size}`;
  const statements: SQL[] = [
    sql`${live}
        INSERT INTO ${dst} (${bare(dst.seriesId)}, ${bare(dst.bucket)}, ${bare(dst.orgId)}, ${bare(dst.count)}, ${bare(dst.sum)}, ${bare(dst.min)}, ${bare(dst.max)}, ${bare(dst.last)})
        SELECT m.series_id, m.bucket, m.org_id, SUM(r.${bare(src.count)}), SUM(r.${bare(src.sum)}), MIN(r.${bare(src.min)}), MAX(r.${bare(src.max)}),
          (SELECT l.${bare(src.last)} FROM ${src} l WHERE ${inBucket('l')} ORDER BY l.${bare(src.bucket)} DESC LIMIT 1)
        FROM marks m JOIN ${src} r ON ${inBucket('r')}
        WHERE true GROUP BY m.series_id, m.bucket
        ON CONFLICT (${bare(dst.seriesId)}, ${bare(dst.bucket)}) DO UPDATE SET
          ${bare(dst.count)} = excluded.${bare(dst.count)}, ${bare(dst.sum)} = excluded.${bare(dst.sum)},
          ${bare(dst.min)} = excluded.${bare(dst.min)}, ${bare(dst.max)} = excluded.${bare(dst.max)},
          ${bare(dst.last)} = excluded.${bare(dst.last)}`,
    // A bucket whose source rows are all gone (its data was deleted) loses its rolled-up row too.
    sql`${live}
        DELETE FROM ${dst} WHERE (${bare(dst.seriesId)}, ${bare(dst.bucket)}) IN (
          SELECT m.series_id, m.bucket FROM marks m WHERE NOT EXISTS (SELECT 1 FROM ${src} r WHERE ${inBucket('r')}))`,
  ];
  if (level === HOURS) {
    statements.push(sql`${live}
        INSERT INTO ${m} (${bare(m.level)}, ${bare(m.seriesId)}, ${bare(m.bucket)}, ${bare(m.orgId)})
        SELECT '1d', series_id, bucket - bucket % ${DAY_MS}, org_id FROM marks WHERE true
        ON CONFLICT DO NOTHING`);
  }
  statements.push(sql`DELETE FROM ${m} WHERE ${bare(m.level)} = ${level.mark} AND (${bare(m.seriesId)}, ${bare(m.bucket)}) IN
        (SELECT value ->> 0, value ->> 1 FROM json_each(${marks}))`);
  await d1.batch(statements.map((q) => statement(d1, q)));
  return results.length;
}
