import { sql, type Column, type SQL } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { schema } from '../../db.ts';

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

/**
 * D1 statements that upsert rollups and mark their hours for the cron roll-up, chunked to
 * respect D1's statement limits. The caller runs them in one batch (one transaction), so an
 * hour is never left holding new minutes without its mark.
 */
export function rollupStatements(orgId: string, rows: RollupRow[]): SQL[] {
  const r = schema.rollups1m;
  const m = schema.rollupMarks;
  const statements: SQL[] = [];
  for (const chunk of chunks(rows.map((x) => [x.seriesId, x.minute, x.count, x.sum, x.min, x.max, x.last]))) {
    statements.push(sql`INSERT INTO ${r} (${col(r.seriesId)}, ${col(r.bucket)}, ${col(r.orgId)}, ${col(r.count)},
        ${col(r.sum)}, ${col(r.min)}, ${col(r.max)}, ${col(r.last)})
      SELECT value ->> 0, value ->> 1, ${orgId}, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6
      FROM json_each(${JSON.stringify(chunk)}) WHERE true
      ON CONFLICT (${col(r.seriesId)}, ${col(r.bucket)}) DO UPDATE SET
        ${col(r.count)} = excluded.${col(r.count)}, ${col(r.sum)} = excluded.${col(r.sum)},
        ${col(r.min)} = excluded.${col(r.min)}, ${col(r.max)} = excluded.${col(r.max)},
        ${col(r.last)} = excluded.${col(r.last)}`);
  }
  const hours = new Map<string, [string, number]>();
  for (const x of rows) {
    const hour = x.minute - (x.minute % HOUR_MS);
    hours.set(`${x.seriesId}|${hour}`, [x.seriesId, hour]);
  }
  for (const chunk of chunks([...hours.values()])) {
    statements.push(sql`INSERT INTO ${m} (${col(m.level)}, ${col(m.seriesId)}, ${col(m.bucket)}, ${col(m.orgId)})
      SELECT '1h', value ->> 0, value ->> 1, ${orgId} FROM json_each(${JSON.stringify(chunk)}) WHERE true
      ON CONFLICT DO NOTHING`);
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
  device: { deviceId: string; orgId: string },
  lastSeenAt: number,
  agentVersion: string | null,
): SQL {
  const d = schema.devices;
  return sql`UPDATE ${d} SET ${col(d.lastSeenAt)} = MAX(COALESCE(${col(d.lastSeenAt)}, 0), ${lastSeenAt}),
      ${col(d.agentVersion)} = COALESCE(${agentVersion}, ${col(d.agentVersion)})
    WHERE ${col(d.id)} = ${device.deviceId} AND ${col(d.orgId)} = ${device.orgId}`;
}

/** A column's bare name, for statements where SQLite refuses a table-qualified one (INSERT lists, SET). */
export const col = (column: Column) => sql.identifier(column.name);

const dialect = new SQLiteAsyncDialect();

/** A drizzle `sql` statement as a D1 statement, for `D1Database#batch` (one transaction). */
export function d1Statement(d1: D1Database, query: SQL): D1PreparedStatement {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return d1.prepare(text).bind(...params);
}
