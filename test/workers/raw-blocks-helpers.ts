import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';
import { deviceHubFor, type DeviceHub } from '../../workers/src/objects/device-hub/index.ts';
import { BLOCK_MAX_BYTES, BLOCK_MAX_SAMPLES } from '../../workers/src/objects/device-hub/blocks.ts';
import { readRaw } from '../../workers/src/objects/device-hub/raw-read.ts';
import { batch, ingest } from './helpers.ts';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

export type Hub = DurableObjectStub<DeviceHub>;

/** A value with two decimals, as gauges send them (bench/dataset.ts shape). */
export const valueOf = (s: number, i: number) =>
  Math.round((50 + 30 * Math.sin(i / 360 + s) + 10 * Math.sin(i * 7.3 + s * 1.7)) * 100) / 100;

/** Registers `n` series `m{k="0".."n-1"}` with one sample each at `ts`; returns their series ids and sids, by k. */
export async function registerSeries(
  hub: Hub,
  deviceToken: string,
  n: number,
  ts: number,
): Promise<{ seriesId: string; sid: number }[]> {
  const res = await ingest(
    deviceToken,
    batch(
      `register-${ts}`,
      Array.from({ length: n }, (_, k) => ({ metric: 'm', labels: { k: String(k) }, ts, value: k })),
    ),
  );
  expect(res.status).toBe(200);
  return runInDurableObject(hub, (_o, state) =>
    state.storage.sql
      .exec<{ sid: number; series_id: string; labels: string }>('SELECT sid, series_id, labels FROM series')
      .toArray()
      .sort((a, b) => Number(JSON.parse(a.labels).k) - Number(JSON.parse(b.labels).k))
      .map((r) => ({ seriesId: r.series_id, sid: r.sid })),
  );
}

/** Writes rows straight into the head, as an object from before blocks holds them (no dirty minutes). */
export function insertHeadRows(sql: SqlStorage, rows: [number, number, number][]): void {
  for (let i = 0; i < rows.length; i += 50_000) {
    sql.exec(
      'INSERT OR REPLACE INTO samples (sid, ts, value) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)',
      JSON.stringify(rows.slice(i, i + 50_000)),
    );
  }
}

/** Every sample of a series through the merged reader, as [ts, value] pairs. */
export function allOf(hub: Hub, sid: number): Promise<[number, number][]> {
  return runInDurableObject(hub, (_o, state) =>
    readRaw(state.storage.sql, sid, 0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).map(
      (p) => [p.ts, p.value] as [number, number],
    ),
  );
}

/** Block rows of a series (no data), ascending. */
export function blockRows(hub: Hub, sid: number) {
  return runInDurableObject(hub, (_o, state) =>
    state.storage.sql
      .exec<{ first_ts: number; last_ts: number; count: number; bytes: number }>(
        'SELECT first_ts, last_ts, count, length(data) AS bytes FROM blocks WHERE sid = ? ORDER BY first_ts',
        sid,
      )
      .toArray(),
  );
}

/** Blocks of one series never overlap, each spans less than a day, and each keeps to the size bounds. */
export async function expectBlocksWellFormed(hub: Hub, sid: number): Promise<void> {
  const blocks = await blockRows(hub, sid);
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    expect(b.first_ts).toBeLessThanOrEqual(b.last_ts);
    expect(b.last_ts - b.first_ts).toBeLessThan(DAY);
    expect(b.count).toBeLessThanOrEqual(BLOCK_MAX_SAMPLES);
    expect(b.bytes).toBeLessThanOrEqual(BLOCK_MAX_BYTES);
    if (i > 0) expect(b.first_ts).toBeGreaterThan(blocks[i - 1]!.last_ts);
  }
}

/** Arms the hub's alarm now and runs it; returns whether it ran. */
export async function alarmNow(hub: Hub): Promise<boolean> {
  await runInDurableObject(hub, (_o, state) => state.storage.setAlarm(Date.now()));
  return runDurableObjectAlarm(hub);
}

/** Runs alarms until the head holds nothing sealable (or `max` runs); returns the runs. */
export async function sealAll(hub: Hub, max = 50): Promise<number> {
  let runs = 0;
  let head = (await hub.stats()).headSamples;
  while (runs < max) {
    await alarmNow(hub);
    runs++;
    const next = (await hub.stats()).headSamples;
    if (next === head) break;
    head = next;
  }
  return runs;
}

export { deviceHubFor, env };
