import { env, runInDurableObject } from 'cloudflare:test';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import {
  type Bucket,
  decodeBuckets,
  type Level,
  LEVELS,
  spanOf,
  updateSpan,
} from '../../workers/src/objects/device-hub/rollup-store.ts';

/** Reads (and, for fixtures, writes) of the rollups where they are stored: every level in each DeviceHub. */

export interface StoredRollup {
  series_id: string;
  bucket: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

/** A device's rollups of one level, from its DeviceHub, ordered by series id and bucket. */
export async function hubRollups(deviceId: string, level: Level): Promise<StoredRollup[]> {
  const rows = await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
    state.storage.sql
      .exec<{ series_id: string; block: ArrayBuffer }>(
        `SELECT s.series_id, m.block FROM ${LEVELS[level].table} m JOIN series s ON s.sid = m.key / 16777216 ORDER BY s.series_id, m.key`,
      )
      .toArray()
      .map((r) => ({ seriesId: r.series_id, block: new Uint8Array(r.block) })),
  );
  return rows.flatMap((r) =>
    decodeBuckets(r.block).map(({ start, ...m }) => ({ series_id: r.seriesId, bucket: start, ...m })),
  );
}

/** A device's 1-minute rollups. */
export const hubMinutes = (deviceId: string) => hubRollups(deviceId, '1m');

/** The rollups of one level of every device of an org (ordered by device, then series id and bucket). */
export async function orgRollups(orgId: string, level: Level): Promise<StoredRollup[]> {
  const { results } = await env.DB.prepare('SELECT id FROM devices WHERE org_id = ? ORDER BY id')
    .bind(orgId)
    .all<{ id: string }>();
  return (await Promise.all(results.map((d) => hubRollups(d.id, level)))).flat();
}

/** The 1-minute rollups of every device of an org. */
export const orgMinutes = (orgId: string) => orgRollups(orgId, '1m');

/** The rollups of one level of one series. */
export async function seriesRollups(seriesId: string, level: Level): Promise<StoredRollup[]> {
  const row = (await env.DB.prepare('SELECT device_id FROM series WHERE id = ?')
    .bind(seriesId)
    .first<{ device_id: string }>())!;
  return (await hubRollups(row.device_id, level)).filter((r) => r.series_id === seriesId);
}

/**
 * Writes rollup buckets straight into the series' DeviceHubs (replacing what a bucket held),
 * bypassing ingest, so a test can read known values back: each row is
 * `[seriesId, bucket, count, sum, min, max, last]`.
 */
export async function putRollups(
  level: Level,
  rows: readonly (readonly [string, number, number, number, number, number, number])[],
): Promise<void> {
  const { results } = await env.DB.prepare(
    'SELECT id, device_id FROM series WHERE id IN (SELECT value FROM json_each(?))',
  )
    .bind(JSON.stringify(rows.map((r) => r[0])))
    .all<{ id: string; device_id: string }>();
  const deviceOf = new Map(results.map((r) => [r.id, r.device_id]));
  const byDevice = new Map<string, (typeof rows)[number][]>();
  for (const r of rows) {
    const device = deviceOf.get(r[0]);
    if (device === undefined) continue;
    byDevice.set(device, [...(byDevice.get(device) ?? []), r]);
  }
  for (const [deviceId, list] of byDevice) {
    await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) => {
      const sql = state.storage.sql;
      for (const [seriesId, start, count, sum, min, max, last] of list) {
        const sid = sql.exec<{ sid: number }>('SELECT sid FROM series WHERE series_id = ?', seriesId).one().sid;
        const bucket: Bucket = { start, count, sum, min, max, last };
        updateSpan(sql, level, sid, spanOf(level, start), new Map([[start, bucket]]));
      }
    });
  }
}

/** Makes the device's next alarm write its figures to D1 now, as it does once the report interval has passed. */
export async function reportDue(deviceId: string): Promise<void> {
  await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
    state.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('reportSoon', 'true')"),
  );
}

const known = new Map<string, { deviceId: string; sid: number }>();

/**
 * What is stored for a series in D1 and its DeviceHub, by the ids it had while it existed (kept
 * from the first call, so rows left behind by a delete are still found): its registry row and
 * its minute, hour and day rollups (in the hub).
 */
export async function storedFor(
  seriesId: string,
): Promise<{ series: number; minutes: number; hours: number; days: number }> {
  let ids = known.get(seriesId);
  if (!ids) {
    const row = (await env.DB.prepare('SELECT device_id FROM series WHERE id = ?')
      .bind(seriesId)
      .first<{ device_id: string }>())!;
    const sid = await runInDurableObject(
      deviceHubFor(env, row.device_id),
      (_o, state) =>
        state.storage.sql.exec<{ sid: number }>('SELECT sid FROM series WHERE series_id = ?', seriesId).one().sid,
    );
    ids = { deviceId: row.device_id, sid };
    known.set(seriesId, ids);
  }
  const series = (await env.DB.prepare('SELECT COUNT(*) AS n FROM series WHERE id = ?')
    .bind(seriesId)
    .first<number>('n'))!;
  const { sid } = ids;
  const counts = await runInDurableObject(deviceHubFor(env, ids.deviceId), (_o, state) =>
    (['1m', '1h', '1d'] as const).map((level) =>
      state.storage.sql
        .exec<{ block: ArrayBuffer }>(`SELECT block FROM ${LEVELS[level].table} WHERE key / 16777216 = ?`, sid)
        .toArray()
        .reduce((n, r) => n + decodeBuckets(r.block).length, 0),
    ),
  );
  return { series, minutes: counts[0]!, hours: counts[1]!, days: counts[2]! };
}

/**
 * The buckets one level up: buckets of `size` summed from these, per series (rows of a series in
 * time order, so `last` is the latest one's).
 */
export function rollUpRows(rows: readonly StoredRollup[], size: number): StoredRollup[] {
  const out = new Map<string, StoredRollup>();
  for (const r of rows) {
    const bucket = r.bucket - (r.bucket % size);
    const key = `${r.series_id}:${bucket}`;
    const held = out.get(key);
    out.set(
      key,
      held
        ? {
            ...held,
            count: held.count + r.count,
            sum: held.sum + r.sum,
            min: Math.min(held.min, r.min),
            max: Math.max(held.max, r.max),
            last: r.last,
          }
        : { ...r, bucket },
    );
  }
  return [...out.values()];
}
