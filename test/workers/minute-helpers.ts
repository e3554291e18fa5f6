import { env, runInDurableObject } from 'cloudflare:test';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { decodeMinutes } from '../../workers/src/objects/device-hub/minute-store.ts';

/** Reads of the rollups where they are stored now: minutes in each DeviceHub, hours and days in D1 by integer id. */

export interface StoredRollup {
  series_id: string;
  bucket: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

/** A device's 1-minute rollups, from its DeviceHub, ordered by series id and minute. */
export async function hubMinutes(deviceId: string): Promise<StoredRollup[]> {
  const rows = await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
    state.storage.sql
      .exec<{ series_id: string; block: ArrayBuffer }>(
        'SELECT s.series_id, m.block FROM minute_hours m JOIN series s ON s.sid = m.key / 16777216 ORDER BY s.series_id, m.key',
      )
      .toArray()
      .map((r) => ({ seriesId: r.series_id, block: new Uint8Array(r.block) })),
  );
  return rows.flatMap((r) =>
    decodeMinutes(r.block).map(({ minute, ...m }) => ({ series_id: r.seriesId, bucket: minute, ...m })),
  );
}

/** The 1-minute rollups of every device of an org. */
export async function orgMinutes(orgId: string): Promise<StoredRollup[]> {
  const { results } = await env.DB.prepare('SELECT id FROM devices WHERE org_id = ? ORDER BY id')
    .bind(orgId)
    .all<{ id: string }>();
  return (await Promise.all(results.map((d) => hubMinutes(d.id)))).flat();
}

/** D1 hour or day rows with their series' text id, for rows matching `where` (on `s` = series, `r` = rollups). */
export async function d1Rollups(
  table: 'rollups_1h' | 'rollups_1d',
  where: string,
  ...params: unknown[]
): Promise<StoredRollup[]> {
  const { results } = await env.DB.prepare(
    `SELECT s.id AS series_id, r.bucket, r.count, r.sum, r.min, r.max, r.last FROM ${table} r
     JOIN series s ON s.num = r.sid WHERE ${where} ORDER BY s.id, r.bucket`,
  )
    .bind(...params)
    .all<StoredRollup>();
  return results;
}

/** The integer id D1's rollup rows use for a series. */
export async function seriesNum(seriesId: string): Promise<number> {
  return (await env.DB.prepare('SELECT num FROM series WHERE id = ?').bind(seriesId).first<number>('num'))!;
}

const known = new Map<string, { num: number; deviceId: string; sid: number }>();

/**
 * What is stored for a series in D1 and its DeviceHub, by the ids it had while it existed (kept
 * from the first call, so rows left behind by a delete are still found): its registry row, its
 * 1-minute rollups (in the hub), and its day marks and hour rows in D1.
 */
export async function storedFor(
  seriesId: string,
): Promise<{ series: number; minutes: number; marks: number; hours: number }> {
  let ids = known.get(seriesId);
  if (!ids) {
    const row = (await env.DB.prepare('SELECT num, device_id FROM series WHERE id = ?')
      .bind(seriesId)
      .first<{ num: number; device_id: string }>())!;
    const sid = await runInDurableObject(
      deviceHubFor(env, row.device_id),
      (_o, state) =>
        state.storage.sql.exec<{ sid: number }>('SELECT sid FROM series WHERE series_id = ?', seriesId).one().sid,
    );
    ids = { num: row.num, deviceId: row.device_id, sid };
    known.set(seriesId, ids);
  }
  const d1 = (await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM series WHERE id = ?1) AS series,
            (SELECT COUNT(*) FROM rollup_marks WHERE sid = ?2) AS marks,
            (SELECT COUNT(*) FROM rollups_1h WHERE sid = ?2) AS hours`,
  )
    .bind(seriesId, ids.num)
    .first<{ series: number; marks: number; hours: number }>())!;
  const { sid } = ids;
  const blocks = await runInDurableObject(deviceHubFor(env, ids.deviceId), (_o, state) =>
    state.storage.sql
      .exec<{ block: ArrayBuffer }>('SELECT block FROM minute_hours WHERE key / 16777216 = ?', sid)
      .toArray()
      .map((r) => new Uint8Array(r.block)),
  );
  return { ...d1, minutes: blocks.reduce((n, b) => n + decodeMinutes(b).length, 0) };
}
