/**
 * Moves what a DeviceHub has accumulated into D1: 1-minute rollups and the device's
 * last-seen time. Rollups are recomputed from raw samples and written as absolute values,
 * so a flush that runs twice (alarms are at-least-once) writes the same rows again.
 */

const HOUR_MS = 3_600_000;

export interface RollupRow {
  sid: number;
  seriesId: string;
  minute: number;
  gen: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

/** Rows per D1 statement: one JSON parameter each, well under D1's 100 KB statement and parameter limits. */
const ROWS_PER_STATEMENT = 400;

/** Aggregates up to `limit` dirty minutes from raw samples. */
export function pendingRollups(sql: SqlStorage, limit: number): RollupRow[] {
  return sql
    .exec<{
      sid: number;
      series_id: string;
      minute: number;
      gen: number;
      count: number;
      sum: number;
      min: number;
      max: number;
      last: number;
    }>(
      `SELECT d.sid, r.series_id, d.minute, d.gen,
              COUNT(*) AS count, SUM(s.value) AS sum, MIN(s.value) AS min, MAX(s.value) AS max,
              (SELECT value FROM samples l WHERE l.sid = d.sid AND l.ts >= d.minute AND l.ts < d.minute + 60000
               ORDER BY l.ts DESC LIMIT 1) AS last
       FROM (SELECT sid, minute, gen FROM dirty_minutes ORDER BY minute LIMIT ?) d
       JOIN series r ON r.sid = d.sid
       JOIN samples s ON s.sid = d.sid AND s.ts >= d.minute AND s.ts < d.minute + 60000
       GROUP BY d.sid, d.minute`,
      limit,
    )
    .toArray()
    .map((r) => ({ ...r, seriesId: r.series_id }));
}

/**
 * D1 statements that upsert rollups and mark their hours for the cron roll-up, chunked to
 * respect D1's statement limits. The caller runs them in one batch (one transaction), so an
 * hour is never left holding new minutes without its mark.
 */
export function rollupStatements(d1: D1Database, orgId: string, rows: RollupRow[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (const chunk of chunks(rows.map((r) => [r.seriesId, r.minute, r.count, r.sum, r.min, r.max, r.last]))) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO rollups_1m (series_id, bucket, org_id, count, sum, min, max, last)
           SELECT value ->> 0, value ->> 1, ?1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6
           FROM json_each(?2) WHERE true
           ON CONFLICT (series_id, bucket) DO UPDATE SET
             count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max, last = excluded.last`,
        )
        .bind(orgId, JSON.stringify(chunk)),
    );
  }
  const hours = new Map<string, [string, number]>();
  for (const r of rows) {
    const hour = r.minute - (r.minute % HOUR_MS);
    hours.set(`${r.seriesId}|${hour}`, [r.seriesId, hour]);
  }
  for (const chunk of chunks([...hours.values()])) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO rollup_marks (level, series_id, bucket, org_id)
           SELECT '1h', value ->> 0, value ->> 1, ?1 FROM json_each(?2) WHERE true
           ON CONFLICT DO NOTHING`,
        )
        .bind(orgId, JSON.stringify(chunk)),
    );
  }
  return statements;
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/** Clears the flushed marks, except those re-marked (gen moved on) while D1 was being written. */
export function clearFlushed(sql: SqlStorage, rows: RollupRow[]): void {
  sql.exec(
    `DELETE FROM dirty_minutes WHERE (sid, minute, gen) IN
       (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))`,
    JSON.stringify(rows.map((r) => [r.sid, r.minute, r.gen])),
  );
}

export function remainingDirty(sql: SqlStorage): number {
  return sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM dirty_minutes').one().n;
}

/** The device's last-seen time and agent version; MAX keeps an older flush from moving it back. */
export function lastSeenStatement(
  d1: D1Database,
  device: { deviceId: string; orgId: string },
  lastSeenAt: number,
  agentVersion: string | null,
): D1PreparedStatement {
  return d1
    .prepare(
      'UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?), agent_version = COALESCE(?, agent_version) WHERE id = ? AND org_id = ?',
    )
    .bind(lastSeenAt, agentVersion, device.deviceId, device.orgId);
}
