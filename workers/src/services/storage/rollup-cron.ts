import { eq, type SQL, sql } from 'drizzle-orm';
import { bare, db, schema, statement } from '../../db.ts';
import { DAY_MS } from '../../time.ts';

/**
 * Rolls hours into UTC days, for the days marked in `rollup_marks` by the DeviceHub flush (which
 * writes the hours itself, from the minutes it keeps).
 *
 * A marked day is recomputed from its hours as absolute values while D1 still holds all of them:
 * the retention sweep has not reached it (`rollup_sweeps`), so a repeated or overlapping run
 * writes the same row. Below the sweep's watermark the hours that are present arrived after the
 * sweep (a backfill, late data): they are merged into the day (counts and sums added, min and
 * max widened) and deleted in the same transaction, so each is counted once and a complete day
 * is never replaced by a part.
 *
 * The recompute or merge and the deletion of the processed marks run in one D1 batch, which is
 * one transaction: a flush that marks the day again after that batch inserts a new mark, and one
 * that committed before it is already included.
 */

/** Marks per round: the statements of a round carry them as one JSON parameter each. */
const MARKS_PER_ROUND = 500;
/**
 * Rounds per cron run (50,000 marks), so a backlog is worked off over several runs. A round takes
 * tens of ms of D1 time; three years of data for four points is about 4,400 day marks.
 */
const MAX_ROUNDS = 100;

/** Rolls up marked days until no marks are left or `deadline` passes. */
export async function rollUp(d1: D1Database, deadline: number): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS && Date.now() < deadline; round++) {
    if ((await rollUpRound(d1)) < MARKS_PER_ROUND) break;
  }
}

/** The rows a day is built from, and the day rows. */
const src = schema.rollups1h;
const dst = schema.rollups1d;

/** Processes one chunk of day marks; returns how many it took. */
async function rollUpRound(d1: D1Database): Promise<number> {
  const m = schema.rollupMarks;
  const results = await db(d1)
    .select({ sid: m.sid, bucket: m.bucket, orgId: m.orgId })
    .from(m)
    .where(eq(m.level, '1d'))
    .limit(MARKS_PER_ROUND);
  if (results.length === 0) return 0;
  const marks = JSON.stringify(results.map((r) => [r.sid, r.bucket, r.orgId]));
  const w = schema.rollupSweeps;
  // Read inside each statement, so the whole batch sees one watermark even if a sweep runs meanwhile.
  const withMarks = (swept: boolean) => sql`WITH marks AS (
      SELECT m.value ->> 0 AS sid, m.value ->> 1 AS bucket, m.value ->> 2 AS org_id FROM json_each(${marks}) m
      WHERE (m.value ->> 1 < COALESCE((SELECT w.${bare(w.through)} FROM ${w} w
        WHERE w.${bare(w.orgId)} = m.value ->> 2 AND w.${bare(w.level)} = '1h'), -1)) = ${swept ? 1 : 0})`;
  const inBucket = (alias: string) =>
    sql`${sql.raw(alias)}.${bare(src.sid)} = m.sid AND ${sql.raw(alias)}.${bare(src.bucket)} >= m.bucket AND ${sql.raw(alias)}.${bare(src.bucket)} < m.bucket + ${DAY_MS}`;
  const aggregate = sql`SELECT m.sid, m.bucket, SUM(r.${bare(src.count)}), SUM(r.${bare(src.sum)}), MIN(r.${bare(src.min)}), MAX(r.${bare(src.max)}),
          (SELECT l.${bare(src.last)} FROM ${src} l WHERE ${inBucket('l')} ORDER BY l.${bare(src.bucket)} DESC LIMIT 1)
        FROM marks m JOIN ${src} r ON ${inBucket('r')}
        WHERE true GROUP BY m.sid, m.bucket`;
  const insert = sql`INSERT INTO ${dst} (${bare(dst.sid)}, ${bare(dst.bucket)}, ${bare(dst.count)}, ${bare(dst.sum)}, ${bare(dst.min)}, ${bare(dst.max)}, ${bare(dst.last)})`;
  const statements: SQL[] = [
    sql`${withMarks(false)} ${insert} ${aggregate}
        ON CONFLICT (${bare(dst.sid)}, ${bare(dst.bucket)}) DO UPDATE SET
          ${bare(dst.count)} = excluded.${bare(dst.count)}, ${bare(dst.sum)} = excluded.${bare(dst.sum)},
          ${bare(dst.min)} = excluded.${bare(dst.min)}, ${bare(dst.max)} = excluded.${bare(dst.max)},
          ${bare(dst.last)} = excluded.${bare(dst.last)}`,
    // A bucket whose source rows are all gone (its data was deleted) loses its rolled-up row too.
    sql`${withMarks(false)}
        DELETE FROM ${dst} WHERE (${bare(dst.sid)}, ${bare(dst.bucket)}) IN (
          SELECT m.sid, m.bucket FROM marks m WHERE NOT EXISTS (SELECT 1 FROM ${src} r WHERE ${inBucket('r')}))`,
    // Swept buckets: the part that arrived since is added to what the row already holds. Its
    // `last` wins, as late rows are most often the newer ones (rollups keep no time of `last`).
    sql`${withMarks(true)} ${insert} ${aggregate}
        ON CONFLICT (${bare(dst.sid)}, ${bare(dst.bucket)}) DO UPDATE SET
          ${bare(dst.count)} = ${bare(dst.count)} + excluded.${bare(dst.count)}, ${bare(dst.sum)} = ${bare(dst.sum)} + excluded.${bare(dst.sum)},
          ${bare(dst.min)} = MIN(${bare(dst.min)}, excluded.${bare(dst.min)}), ${bare(dst.max)} = MAX(${bare(dst.max)}, excluded.${bare(dst.max)}),
          ${bare(dst.last)} = excluded.${bare(dst.last)}`,
    // …and leaves the finer level, which the sweep had already emptied there: never merged twice.
    sql`${withMarks(true)}
        DELETE FROM ${src} WHERE (${bare(src.sid)}, ${bare(src.bucket)}) IN (SELECT r.${bare(src.sid)}, r.${bare(src.bucket)} FROM marks m JOIN ${src} r ON ${inBucket('r')})`,
    sql`DELETE FROM ${m} WHERE ${bare(m.level)} = '1d' AND (${bare(m.sid)}, ${bare(m.bucket)}) IN
        (SELECT value ->> 0, value ->> 1 FROM json_each(${marks}))`,
  ];
  await d1.batch(statements.map((q) => statement(d1, q)));
  return results.length;
}
