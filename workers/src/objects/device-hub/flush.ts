/**
 * The dirty minutes a DeviceHub's flush rolls up (rollup-flush.ts): each is recomputed from its
 * raw samples, so a flush that runs twice (alarms are at-least-once) writes the same rows again.
 */

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

/**
 * Aggregates up to `limit` dirty minutes from raw samples. Reads the head (`samples`) alone:
 * every sample of a dirty minute is there, because sealing leaves dirty minutes in the head
 * (seal.ts) and a batch into a sealed minute brings it back first (blocks-unseal.ts).
 */
export function pendingRollups(sql: SqlStorage, limit: number): RollupRow[] {
  return sql
    .exec<Omit<RollupRow, 'seriesId'> & { series_id: string }>(
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

/** Clears the flushed marks, except those re-marked (gen moved on) while D1 was being written. */
export function clearFlushed(sql: SqlStorage, rows: RollupRow[]): void {
  sql.exec(
    `DELETE FROM dirty_minutes WHERE (minute, sid, gen) IN
       (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))`,
    JSON.stringify(rows.map((r) => [r.minute, r.sid, r.gen])),
  );
}

export function remainingDirty(sql: SqlStorage): number {
  return sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM dirty_minutes').one().n;
}
