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

interface Level {
  mark: '1h' | '1d';
  source: 'rollups_1m' | 'rollups_1h';
  target: 'rollups_1h' | 'rollups_1d';
  size: number;
  /** Retention column of the source level: a bucket older than it may have lost source rows. */
  sourceRetention: 'rollup_1m_retention_days' | 'rollup_1h_retention_days';
}

const HOURS: Level = {
  mark: '1h',
  source: 'rollups_1m',
  target: 'rollups_1h',
  size: HOUR_MS,
  sourceRetention: 'rollup_1m_retention_days',
};
const DAYS: Level = {
  mark: '1d',
  source: 'rollups_1h',
  target: 'rollups_1d',
  size: DAY_MS,
  sourceRetention: 'rollup_1h_retention_days',
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
  const { results } = await d1
    .prepare('SELECT series_id, bucket, org_id FROM rollup_marks WHERE level = ? LIMIT ?')
    .bind(level.mark, MARKS_PER_ROUND)
    .all<{ series_id: string; bucket: number; org_id: string }>();
  if (results.length === 0) return 0;
  const marks = JSON.stringify(results.map((m) => [m.series_id, m.bucket, m.org_id]));
  // The source level's retention deletes whole target buckets (see retention-cron), so a mark
  // at or after this cutoff has all its source rows. An older mark (data that arrived after its
  // source level expired) is dropped: recomputing it would overwrite a complete row with a part.
  const cutoff = now - (now % level.size);
  const live = `WITH marks AS (
      SELECT m.value ->> 0 AS series_id, m.value ->> 1 AS bucket, m.value ->> 2 AS org_id
      FROM json_each(?1) m JOIN organisations o ON o.id = m.value ->> 2
      WHERE m.value ->> 1 >= ?2 - o.${level.sourceRetention} * ${DAY_MS})`;
  const statements = [
    d1
      .prepare(
        `${live}
        INSERT INTO ${level.target} (series_id, bucket, org_id, count, sum, min, max, last)
        SELECT m.series_id, m.bucket, m.org_id, SUM(r.count), SUM(r.sum), MIN(r.min), MAX(r.max),
          (SELECT l.last FROM ${level.source} l
           WHERE l.series_id = m.series_id AND l.bucket >= m.bucket AND l.bucket < m.bucket + ${level.size}
           ORDER BY l.bucket DESC LIMIT 1)
        FROM marks m JOIN ${level.source} r
          ON r.series_id = m.series_id AND r.bucket >= m.bucket AND r.bucket < m.bucket + ${level.size}
        WHERE true GROUP BY m.series_id, m.bucket
        ON CONFLICT (series_id, bucket) DO UPDATE SET
          count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max, last = excluded.last`,
      )
      .bind(marks, cutoff),
    // A bucket whose source rows are all gone (its data was deleted) loses its rolled-up row too.
    d1
      .prepare(
        `${live}
        DELETE FROM ${level.target} WHERE (series_id, bucket) IN (
          SELECT m.series_id, m.bucket FROM marks m WHERE NOT EXISTS (
            SELECT 1 FROM ${level.source} r
            WHERE r.series_id = m.series_id AND r.bucket >= m.bucket AND r.bucket < m.bucket + ${level.size}))`,
      )
      .bind(marks, cutoff),
  ];
  if (level === HOURS) {
    statements.push(
      d1
        .prepare(
          `${live}
          INSERT INTO rollup_marks (level, series_id, bucket, org_id)
          SELECT '1d', series_id, bucket - bucket % ${DAY_MS}, org_id FROM marks WHERE true
          ON CONFLICT DO NOTHING`,
        )
        .bind(marks, cutoff),
    );
  }
  statements.push(
    d1
      .prepare(
        `DELETE FROM rollup_marks WHERE level = ?1 AND (series_id, bucket) IN
          (SELECT value ->> 0, value ->> 1 FROM json_each(?2))`,
      )
      .bind(level.mark, marks),
  );
  await d1.batch(statements);
  return results.length;
}
