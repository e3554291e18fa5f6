import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor, type DeviceHub } from '../../workers/src/objects/device-hub/index.ts';
import { RAW_SWEEP_CHUNK } from '../../workers/src/objects/device-hub/retention.ts';
import { getMeta, setMeta } from '../../workers/src/objects/device-hub/store.ts';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { d1Rollups, orgMinutes } from './rollup-helpers.ts';
import type { RollupAggregates } from '../../schema/wire/history.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T = Date.now();

interface Row extends RollupAggregates {
  series_id: string;
  bucket: number;
}

/** `perHour` samples `step` ms apart at `offset` into each of the `hours` hours before `end`. */
function hourly(end: number, hours: number, perHour: number, step: number, offset = 0) {
  const samples = [];
  for (let h = 1; h <= hours; h++) {
    for (let k = 0; k < perHour; k++)
      samples.push({ metric: 'temp_c', ts: end - h * HOUR + offset + k * step, value: h + k / 100 });
  }
  return samples;
}

async function ingestAll(deviceToken: string, samples: { metric: string; ts: number; value: number }[], tag: string) {
  for (let i = 0; i < samples.length; i += 5000) {
    const res = await ingest(deviceToken, batch(`${tag}-${i}`, samples.slice(i, i + 5000)));
    expect(res.status).toBe(200);
  }
}

async function setRetention(org: TestOrg, retention: Record<string, number | null>): Promise<void> {
  const res = await api(org.apiKey, '/v1/org/settings', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ retention }),
  });
  expect(res.status).toBe(200);
}

const held = (hub: DurableObjectStub<DeviceHub>) =>
  runInDurableObject(hub, (_o, state) =>
    // Raw samples are head rows and sealed blocks (no re-sent duplicates in this file).
    state.storage.sql
      .exec<{ n: number; oldest: number }>(
        `SELECT (SELECT COUNT(*) FROM samples) + (SELECT COALESCE(SUM(count), 0) FROM blocks) AS n,
           MIN(COALESCE((SELECT MIN(ts) FROM samples), 1e18), COALESCE((SELECT MIN(first_ts) FROM blocks), 1e18)) AS oldest`,
      )
      .one(),
  );

async function rollups(table: string, orgId: string): Promise<Row[]> {
  if (table === 'rollups_1m') return orgMinutes(orgId);
  return d1Rollups(table as 'rollups_1h' | 'rollups_1d', 's.org_id = ?', orgId);
}

describe('raw retention in the DeviceHub alarm', () => {
  let org: TestOrg;
  let other: TestOrg;
  let device: { deviceId: string; deviceToken: string };
  let otherDevice: { deviceId: string; deviceToken: string };
  // Ten samples in one spot of every hour for 40 days, half an hour off the hour, so the
  // 10-day cutoff (taken a few seconds after T) falls well between two hours' samples.
  const samples = hourly(T - 30 * MINUTE, 40 * 24, 10, 1000);
  const kept = samples.filter((s) => s.ts > T - 10 * DAY);

  beforeAll(async () => {
    org = await seedOrg();
    other = await seedOrg();
    await setRetention(org, { rawDays: 10 });
    device = await enroll(org, 'raw');
    otherDevice = await enroll(other, 'raw-other');
    // Newest half first: an alarm firing between the two batches has nothing old to sweep yet.
    await ingestAll(device.deviceToken, [...samples].reverse(), 'raw');
    await ingestAll(otherDevice.deviceToken, hourly(T, 25 * 24, 2, 1000), 'raw-other');
  });

  it('keeps samples until their minute is flushed, then deletes one chunk per alarm until only the window is left', async () => {
    const hub = deviceHubFor(env, device.deviceId);
    await runDurableObjectAlarm(hub);
    expect(await hub.stats()).toMatchObject({ dirtyMinutes: 0, samples: samples.length });

    await runDurableObjectAlarm(hub);
    expect((await hub.stats()).samples).toBe(samples.length - RAW_SWEEP_CHUNK);

    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(hub);
    expect(kept.length).toBe(239 * 10);
    expect(await held(hub)).toEqual({ n: kept.length, oldest: Math.min(...kept.map((s) => s.ts)) });
  });

  it("reports the object's sample count and size on the device row", async () => {
    const row = await env.DB.prepare('SELECT raw_samples, raw_bytes FROM devices WHERE id = ?')
      .bind(device.deviceId)
      .first<{ raw_samples: number; raw_bytes: number }>();
    expect(row?.raw_samples).toBe(kept.length);
    expect(row?.raw_bytes).toBeGreaterThan(kept.length * 8);
  });

  it('leaves samples of an organisation with a longer window alone', async () => {
    const hub = deviceHubFor(env, otherDevice.deviceId);
    await flush(otherDevice.deviceId);
    await runDurableObjectAlarm(hub);
    expect(await held(hub)).toEqual({ n: 25 * 24 * 2, oldest: T - 25 * 24 * HOUR });
  });

  it('comes back within six hours while it holds samples, so an idle device still expires data', async () => {
    const hub = deviceHubFor(env, device.deviceId);
    // Idle: last seen ten minutes ago, so the alarm detects it offline and needs no offline check.
    await runInDurableObject(hub, (_o, state) => {
      const seen = getMeta<{ lastSeenAt: number }>(state.storage.sql, 'seen');
      setMeta(state.storage.sql, 'seen', { ...seen, lastSeenAt: Date.now() - 10 * MINUTE });
    });
    const before = Date.now();
    await runDurableObjectAlarm(hub);
    const at = await runInDurableObject(hub, (_o, state) => state.storage.getAlarm());
    expect(at).toBeGreaterThanOrEqual(before + 6 * HOUR);
    expect(at).toBeLessThanOrEqual(Date.now() + 6 * HOUR);
  });
});

describe('rollup retention by cron', () => {
  let org: TestOrg;
  let other: TestOrg;
  let device: { deviceId: string; deviceToken: string };
  const levels = ['rollups_1m', 'rollups_1h', 'rollups_1d'] as const;
  const before: Record<string, Row[]> = {};
  const otherBefore: Record<string, Row[]> = {};

  beforeAll(async () => {
    org = await seedOrg();
    other = await seedOrg();
    device = await enroll(org, 'rolled');
    const otherDevice = await enroll(other, 'rolled-other');
    // Twelve minutes of every hour for 40 days: more expired 1-minute rows than one delete chunk.
    await ingestAll(device.deviceToken, hourly(T - (T % HOUR), 40 * 24, 12, MINUTE), 'rolled');
    await ingestAll(otherDevice.deviceToken, hourly(T - (T % HOUR), 40 * 24, 1, MINUTE), 'rolled-other');
    await flush(device.deviceId);
    await flush(otherDevice.deviceId);
    // Rolled up under the default windows, which keep all of it; then the org narrows them.
    for (let i = 0; i < 5; i++) await runCron(env, Date.now());
    for (const level of levels) {
      before[level] = await rollups(level, org.orgId);
      otherBefore[level] = await rollups(level, other.orgId);
    }
    await setRetention(org, { rawDays: 10, rollup1mDays: 20, rollup1hDays: 30, rollup1dDays: null });
  });

  it("deletes each level's rows before the org's window, keeps newer ones, and keeps days forever when rollup1dDays is null", async () => {
    const now = Date.now();
    await runCron(env, now);
    const cutoff1m = now - (now % HOUR) - 20 * DAY;
    const cutoff1h = now - (now % DAY) - 30 * DAY;
    expect(before.rollups_1m!.filter((r) => r.bucket < cutoff1m).length).toBeGreaterThan(5000);
    expect(await rollups('rollups_1m', org.orgId)).toEqual(before.rollups_1m!.filter((r) => r.bucket >= cutoff1m));
    expect(before.rollups_1h!.some((r) => r.bucket < cutoff1h)).toBe(true);
    expect(await rollups('rollups_1h', org.orgId)).toEqual(before.rollups_1h!.filter((r) => r.bucket >= cutoff1h));
    expect(before.rollups_1d!.length).toBeGreaterThanOrEqual(40);
    expect(await rollups('rollups_1d', org.orgId)).toEqual(before.rollups_1d);
  });

  it("leaves another organisation's rollups alone", async () => {
    for (const level of levels) expect(await rollups(level, other.orgId)).toEqual(otherBefore[level]);
  });

  it('deletes daily rollups once rollup1dDays is set', async () => {
    await setRetention(org, { rollup1dDays: 35 });
    const now = Date.now();
    await runCron(env, now);
    const cutoff = now - (now % DAY) - 35 * DAY;
    expect(before.rollups_1d!.some((r) => r.bucket < cutoff)).toBe(true);
    expect(await rollups('rollups_1d', org.orgId)).toEqual(before.rollups_1d!.filter((r) => r.bucket >= cutoff));
  });

  it('merges late data for an hour whose minutes expired into the hour and its day, never recomputing them from the part', async () => {
    const hour = T - (T % HOUR) - 25 * DAY;
    const day = hour - (hour % DAY);
    const hourRow = before.rollups_1h!.find((r) => r.bucket === hour)!;
    const dayRow = before.rollups_1d!.find((r) => r.bucket === day)!;
    expect(hourRow.count).toBe(12);
    const res = await ingest(
      device.deviceToken,
      batch('late', [{ metric: 'temp_c', ts: hour + 30 * MINUTE, value: 1e6 }]),
    );
    expect(res.status).toBe(200);
    await flush(device.deviceId);
    await runCron(env, Date.now());
    const merged = { count: 13, min: hourRow.min, max: 1e6, last: 1e6 };
    const hourAfter = (await rollups('rollups_1h', org.orgId)).find((r) => r.bucket === hour);
    expect(hourAfter).toMatchObject({ ...merged, series_id: hourRow.series_id });
    expect(hourAfter!.sum).toBeCloseTo(hourRow.sum + 1e6, 6);
    const dayAfter = (await rollups('rollups_1d', org.orgId)).find((r) => r.bucket === day);
    expect(dayAfter).toMatchObject({ count: dayRow.count + 1, min: dayRow.min, max: 1e6 });
    expect(dayAfter!.sum).toBeCloseTo(dayRow.sum + 1e6, 6);
    // The merged minute left the expired level with its mark, so a second run adds nothing.
    expect((await rollups('rollups_1m', org.orgId)).some((r) => r.bucket < hour + HOUR)).toBe(false);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM rollup_marks').first('n')).toBe(0);
    await runCron(env, Date.now());
    expect((await rollups('rollups_1h', org.orgId)).find((r) => r.bucket === hour)).toEqual(hourAfter);
  });
});
