import { runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, enroll, seedOrg } from './helpers.ts';
import { reportDue } from './rollup-helpers.ts';
import {
  allOf,
  alarmNow,
  blockRows,
  DAY,
  deviceHubFor,
  env,
  expectBlocksWellFormed,
  insertHeadRows,
  MINUTE,
  registerSeries,
  sealAll,
  valueOf,
  type Hub,
} from './raw-blocks-helpers.ts';

const END = Date.now() - 10 * MINUTE;
const floorMinute = (t: number) => t - (t % MINUTE);

describe('raw retention over sealed blocks', () => {
  let hub: Hub;
  let deviceId: string;
  let sid: number;
  let rows: [number, number][];
  let blocksBefore: { first_ts: number; last_ts: number; count: number }[];

  beforeAll(async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'sweep');
    deviceId = device.deviceId;
    hub = deviceHubFor(env, deviceId);
    // Registered at the newest end, so the sweep has nothing of the registration sample to take.
    [{ sid }] = (await registerSeries(hub, device.deviceToken, 1, floorMinute(END))) as [
      { seriesId: string; sid: number },
    ];
    // Four days at 60 s, on whole minutes: at least four blocks, as a block spans less than a day.
    rows = [];
    for (let i = 1, ts = floorMinute(END) - MINUTE; ts > END - 4 * DAY; i++, ts -= MINUTE)
      rows.push([ts, valueOf(0, i)]);
    rows.reverse();
    await runInDurableObject(hub, (_o, state) =>
      insertHeadRows(
        state.storage.sql,
        rows.map(([ts, v]) => [sid, ts, v]),
      ),
    );
    rows.push([floorMinute(END), 0]);
    await sealAll(hub);
    blocksBefore = await blockRows(hub, sid);
    // Now the org narrows raw retention to one day; the hub reads it again at its next alarm.
    const res = await api(org.apiKey, '/v1/org/settings', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retention: { rawDays: 1 } }),
    });
    expect(res.status).toBe(200);
    await runInDurableObject(hub, (_o, state) => state.storage.sql.exec("DELETE FROM meta WHERE key = 'retention'"));
  });

  it('drops whole blocks before the cutoff and splits the boundary block exactly at it', async () => {
    expect(blocksBefore.length).toBeGreaterThanOrEqual(4);
    expect((await hub.stats()).headSamples).toBe(0);
    const t0 = Date.now();
    await alarmNow(hub);
    const t1 = Date.now();
    const after = await blockRows(hub, sid);
    const kept = await allOf(hub, sid);
    const cutoff = kept[0]![0];
    // The cutoff is the alarm's clock minus a day, on a whole minute; a sample at it is kept.
    expect(cutoff).toBeGreaterThanOrEqual(floorMinute(t0 - DAY));
    expect(cutoff).toBeLessThanOrEqual(floorMinute(t1 - DAY));
    expect(kept).toEqual(rows.filter(([ts]) => ts >= cutoff));
    // Blocks wholly after the cutoff are untouched; the one across it now starts at it.
    const boundary = blocksBefore.find((b) => b.first_ts < cutoff && b.last_ts >= cutoff)!;
    expect(boundary).toBeDefined();
    expect(after).toEqual([
      {
        first_ts: cutoff,
        last_ts: boundary.last_ts,
        count: kept.filter(([ts]) => ts <= boundary.last_ts).length,
        bytes: expect.any(Number),
      },
      ...blocksBefore.filter((b) => b.first_ts > boundary.last_ts),
    ]);
    await expectBlocksWellFormed(hub, sid);
    expect((await hub.stats()).samples).toBe(kept.length);
  });

  it('reports the count of head and block samples on the device row', async () => {
    const kept = await allOf(hub, sid);
    // A full recount of head and blocks, written to the device row now (as once the report interval has passed).
    await runInDurableObject(hub, (_o, state) => state.storage.sql.exec("DELETE FROM meta WHERE key = 'sampleCount'"));
    await reportDue(deviceId);
    await alarmNow(hub);
    const row = await env.DB.prepare('SELECT raw_samples FROM devices WHERE id = ?')
      .bind(deviceId)
      .first<{ raw_samples: number }>();
    expect(row?.raw_samples).toBe(kept.length);
  });
});
