import { runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEAL_CHUNK } from '../../workers/src/objects/device-hub/seal.ts';
import { api, batch, enroll, ingest, seedOrg } from './helpers.ts';
import { hubMinutes, hubRollups, rollUpRows, type StoredRollup } from './rollup-helpers.ts';
import {
  allOf,
  alarmNow,
  DAY,
  deviceHubFor,
  env,
  expectBlocksWellFormed,
  insertHeadRows,
  MINUTE,
  registerSeries,
  valueOf,
  type Hub,
} from './raw-blocks-helpers.ts';

const HOUR = 3_600_000;
const SERIES = 20;

/** Each bucket of `coarse` is the total of the `fine` buckets in it (of one series, in time order). */
function expectTotals(coarse: StoredRollup[], fine: StoredRollup[], size: number): void {
  const want = new Map(rollUpRows(fine, size).map((r) => [`${r.series_id}:${r.bucket}`, r]));
  expect(coarse.map((r) => `${r.series_id}:${r.bucket}`).sort()).toEqual([...want.keys()].sort());
  for (const r of coarse) {
    const w = want.get(`${r.series_id}:${r.bucket}`)!;
    expect({ ...r, sum: 0 }).toEqual({ ...w, sum: 0 });
    expect(r.sum).toBeCloseTo(w.sum, 6);
  }
}
const PER_SERIES = 10_000;
const END = Date.now() - 30 * MINUTE;
const STEP = 15_000;
const START = END - PER_SERIES * STEP;

describe('an object holding row-per-sample data from before blocks', () => {
  let hub: Hub;
  let apiKey: string;
  let deviceToken: string;
  let deviceId: string;
  let series: { seriesId: string; sid: number }[];
  const expected = new Map<number, Map<number, number>>();
  /** Minutes the batches during the conversion touched: [series index, minute]. */
  const touched: [number, number][] = [];

  beforeAll(async () => {
    const org = await seedOrg();
    apiKey = org.apiKey;
    const device = await enroll(org, 'old-rows');
    deviceId = device.deviceId;
    deviceToken = device.deviceToken;
    hub = deviceHubFor(env, device.deviceId);
    series = await registerSeries(hub, deviceToken, SERIES, START - STEP);
    const rows: [number, number, number][] = [];
    for (const [k, s] of series.entries()) {
      const m = new Map([[START - STEP, k]]);
      for (let i = 0; i < PER_SERIES; i++) {
        rows.push([s.sid, START + i * STEP, valueOf(k, i)]);
        m.set(START + i * STEP, valueOf(k, i));
      }
      expected.set(s.sid, m);
    }
    await runInDurableObject(hub, (_o, state) => {
      insertHeadRows(state.storage.sql, rows);
      // The registration batch is rolled up already in an old object: nothing dirty.
      state.storage.sql.exec('DELETE FROM dirty_minutes');
    });
  });

  it('is converted over many alarm runs, at most SEAL_CHUNK samples each, while ingest and reads go on', async () => {
    const total = SERIES * (PER_SERIES + 1);
    expect((await hub.stats()).headSamples).toBe(total);
    let head: number = total;
    let runs = 0;
    for (; head > 0 && runs < 40; runs++) {
      // A batch between runs: late and re-sent samples into sealed and unsealed ranges of two series.
      const k = runs % SERIES;
      const s = series[k]!;
      const late = START + ((runs * 997 + 5) % PER_SERIES) * STEP + 1_234;
      const resent = START + ((runs * 1_303 + 7) % PER_SERIES) * STEP;
      const samples = [
        { metric: 'm', labels: { k: String(k) }, ts: late, value: 1_000 + runs },
        { metric: 'm', labels: { k: String(k) }, ts: resent, value: -runs - 0.5 },
      ];
      expect((await ingest(deviceToken, batch(`during-${runs}`, samples))).status).toBe(200);
      expected.get(s.sid)!.set(late, 1_000 + runs);
      expected.get(s.sid)!.set(resent, -runs - 0.5);
      touched.push([k, late - (late % MINUTE)], [k, resent - (resent % MINUTE)]);
      // Reads during the conversion see head and blocks merged, newest value winning.
      const from = resent - 10 * STEP;
      const res = await api(apiKey, `/v1/history?series=${s.seriesId}&from=${from}&to=${from + 20 * STEP}&source=raw`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { series: { points: { ts: number; value: number }[] }[] };
      expect(body.series[0]!.points).toEqual(
        [...expected.get(s.sid)!]
          .filter(([ts]) => ts >= from && ts < from + 20 * STEP)
          .sort((a, b) => a[0] - b[0])
          .map(([ts, value]) => ({ ts, value })),
      );

      const before = (await hub.stats()).headSamples;
      await alarmNow(hub);
      head = (await hub.stats()).headSamples;
      // A run seals at most one chunk.
      expect(before - head).toBeLessThanOrEqual(SEAL_CHUNK);
    }
    expect(runs).toBeGreaterThanOrEqual(Math.ceil(total / SEAL_CHUNK));
    expect(head).toBe(0);
  });

  it('loses and duplicates no sample: every (ts, value) of every series compares equal', async () => {
    let total = 0;
    for (const s of series) {
      const want = [...expected.get(s.sid)!].sort((a, b) => a[0] - b[0]);
      total += want.length;
      expect(await allOf(hub, s.sid)).toEqual(want);
      await expectBlocksWellFormed(hub, s.sid);
    }
    expect(await hub.stats()).toMatchObject({ samples: total, headSamples: 0 });
    expect((await hub.stats()).blocks).toBeGreaterThanOrEqual(SERIES * Math.ceil(PER_SERIES / 4_096));
  });

  it('rolls up the minutes that late and re-sent samples touched from their complete data', async () => {
    // Most of these minutes were sealed when the batch came: their samples came back to the head for the flush.
    expect(touched.length).toBeGreaterThan(20);
    const minutes = await hubMinutes(deviceId);
    for (const [k, minute] of touched) {
      const s = series[k]!;
      const values = [...expected.get(s.sid)!]
        .filter(([ts]) => ts >= minute && ts < minute + MINUTE)
        .sort((a, b) => a[0] - b[0])
        .map(([, v]) => v);
      // 1-minute rollups live in the DeviceHub.
      const stored = minutes.find((r) => r.series_id === s.seriesId && r.bucket === minute);
      const row = stored && { count: stored.count, min: stored.min, max: stored.max, last: stored.last };
      expect({ k, minute, row }).toEqual({
        k,
        minute,
        row: { count: values.length, min: Math.min(...values), max: Math.max(...values), last: values.at(-1) },
      });
    }
    expect(END - START).toBeLessThan(2 * DAY);
  });

  it('rolls those minutes up into the hours and days of the hub, each the total of the finer level', async () => {
    const minutes = await hubMinutes(deviceId);
    const hours = await hubRollups(deviceId, '1h');
    const days = await hubRollups(deviceId, '1d');
    expect(hours.length).toBeGreaterThan(10);
    expect(hours.reduce((n, h) => n + h.count, 0)).toBe(minutes.reduce((n, m) => n + m.count, 0));
    expectTotals(hours, minutes, HOUR);
    expectTotals(days, hours, DAY);
    expect(await hub.stats()).toMatchObject({ minutes: minutes.length, hours: hours.length, days: days.length });
  });
});
