import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor, type DeviceHub } from '../../workers/src/objects/device-hub/index.ts';
import { RAW_SWEEP_CHUNK, SWEEP_AGAIN_MS } from '../../workers/src/objects/device-hub/retention.ts';
import type { Level } from '../../workers/src/objects/device-hub/rollup-store.ts';
import { getMeta, setMeta } from '../../workers/src/objects/device-hub/store.ts';
import { ROLLUP_SWEEP_CHUNK } from '../../workers/src/objects/device-hub/rollup-retention.ts';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { hubRollups, orgRollups, reportDue } from './rollup-helpers.ts';
import type { RollupAggregates } from '../../schema/wire/history.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T = Date.now();

interface Row extends RollupAggregates {
  series_id: string;
  bucket: number;
}

type Sample = { metric: string; ts: number; value: number; labels?: Record<string, string> };

/** `perHour` samples `step` ms apart at `offset` into each of the `hours` hours before `end`. */
function hourly(
  end: number,
  hours: number,
  perHour: number,
  step: number,
  offset = 0,
  labels?: Record<string, string>,
) {
  const samples: Sample[] = [];
  for (let h = 1; h <= hours; h++) {
    for (let k = 0; k < perHour; k++)
      samples.push({ metric: 'temp_c', ts: end - h * HOUR + offset + k * step, value: h + k / 100, labels });
  }
  return samples;
}

async function ingestAll(deviceToken: string, samples: Sample[], tag: string) {
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

const rollups = (level: Level, orgId: string): Promise<Row[]> => orgRollups(orgId, level);

/** Has the hub read the org's windows again on its next alarm (it reads them at most hourly). */
const rereadRetention = (deviceId: string) =>
  runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
    state.storage.sql.exec("DELETE FROM meta WHERE key = 'retention'"),
  );

async function alarm(deviceId: string): Promise<void> {
  expect(await runDurableObjectAlarm(deviceHubFor(env, deviceId))).toBe(true);
}

/** Every minute held has its hour held, and every hour its day: no level was swept past a finer one. */
async function expectNested(deviceId: string) {
  const [minutes, hours, days] = await Promise.all((['1m', '1h', '1d'] as const).map((l) => hubRollups(deviceId, l)));
  const hourSet = new Set(hours!.map((h) => `${h.series_id}|${h.bucket}`));
  const daySet = new Set(days!.map((d) => `${d.series_id}|${d.bucket}`));
  expect(minutes!.filter((m) => !hourSet.has(`${m.series_id}|${m.bucket - (m.bucket % HOUR)}`))).toEqual([]);
  expect(hours!.filter((h) => !daySet.has(`${h.series_id}|${h.bucket - (h.bucket % DAY)}`))).toEqual([]);
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
    // The row was written by the first alarm; the next one writes the figures the sweeps left once they are due.
    await reportDue(device.deviceId);
    await runDurableObjectAlarm(deviceHubFor(env, device.deviceId));
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

describe("rollup retention by the DeviceHub's alarm", () => {
  let org: TestOrg;
  let other: TestOrg;
  let device: { deviceId: string; deviceToken: string };
  let otherDevice: { deviceId: string; deviceToken: string };
  const levels = ['1m', '1h', '1d'] as const;
  const before: Record<string, Row[]> = {};
  const otherBefore: Record<string, Row[]> = {};

  beforeAll(async () => {
    org = await seedOrg();
    other = await seedOrg();
    device = await enroll(org, 'rolled');
    otherDevice = await enroll(other, 'rolled-other');
    // Twelve minutes of every hour for 40 days.
    await ingestAll(device.deviceToken, hourly(T - (T % HOUR), 40 * 24, 12, MINUTE), 'rolled');
    await ingestAll(otherDevice.deviceToken, hourly(T - (T % HOUR), 40 * 24, 1, MINUTE), 'rolled-other');
    // Rolled up under the default windows, which keep all of it; then the org narrows them.
    await flush(device.deviceId);
    await flush(otherDevice.deviceId);
    for (const level of levels) {
      before[level] = await rollups(level, org.orgId);
      otherBefore[level] = await rollups(level, other.orgId);
    }
    await setRetention(org, { rawDays: 10, rollup1mDays: 20, rollup1hDays: 30, rollup1dDays: null });
    await rereadRetention(device.deviceId);
  });

  it("deletes each level's rows before the org's window, keeps newer ones, and keeps days forever when rollup1dDays is null", async () => {
    const now = Date.now();
    await alarm(device.deviceId);
    const cutoff1m = now - (now % HOUR) - 20 * DAY;
    const cutoff1h = now - (now % DAY) - 30 * DAY;
    // Minutes go both with the hours (before the hour window) and on their own (between the two windows).
    expect(before['1m']!.some((r) => r.bucket < cutoff1h)).toBe(true);
    expect(before['1m']!.some((r) => r.bucket >= cutoff1h && r.bucket < cutoff1m)).toBe(true);
    expect(await rollups('1m', org.orgId)).toEqual(before['1m']!.filter((r) => r.bucket >= cutoff1m));
    expect(before['1h']!.some((r) => r.bucket < cutoff1h)).toBe(true);
    expect(await rollups('1h', org.orgId)).toEqual(before['1h']!.filter((r) => r.bucket >= cutoff1h));
    expect(before['1d']!.length).toBeGreaterThanOrEqual(40);
    expect(await rollups('1d', org.orgId)).toEqual(before['1d']);
    await expectNested(device.deviceId);
  });

  it("leaves another organisation's rollups alone", async () => {
    await rereadRetention(otherDevice.deviceId);
    await alarm(otherDevice.deviceId);
    for (const level of levels) expect(await rollups(level, other.orgId)).toEqual(otherBefore[level]);
  });

  it('deletes daily rollups once rollup1dDays is set, and the finer levels before them with them', async () => {
    const finer = { '1m': await rollups('1m', org.orgId), '1h': await rollups('1h', org.orgId) };
    await setRetention(org, { rollup1dDays: 35 });
    await rereadRetention(device.deviceId);
    const now = Date.now();
    await alarm(device.deviceId);
    const cutoff = now - (now % DAY) - 35 * DAY;
    expect(before['1d']!.some((r) => r.bucket < cutoff)).toBe(true);
    expect(await rollups('1d', org.orgId)).toEqual(before['1d']!.filter((r) => r.bucket >= cutoff));
    // Their windows are shorter: nothing of theirs was left before the day window.
    expect(await rollups('1h', org.orgId)).toEqual(finer['1h']);
    expect(await rollups('1m', org.orgId)).toEqual(finer['1m']);
    await expectNested(device.deviceId);
  });

  it('merges late data for an hour whose minutes expired into the hour and its day, never recomputing them from the part', async () => {
    const hour = T - (T % HOUR) - 25 * DAY;
    const day = hour - (hour % DAY);
    const hourRow = before['1h']!.find((r) => r.bucket === hour)!;
    const dayRow = before['1d']!.find((r) => r.bucket === day)!;
    expect(hourRow.count).toBe(12);
    const res = await ingest(
      device.deviceToken,
      batch('late', [{ metric: 'temp_c', ts: hour + 30 * MINUTE, value: 1e6 }]),
    );
    expect(res.status).toBe(200);
    await flush(device.deviceId);
    const merged = { count: 13, min: hourRow.min, max: 1e6, last: 1e6 };
    const hourAfter = (await rollups('1h', org.orgId)).find((r) => r.bucket === hour);
    expect(hourAfter).toMatchObject({ ...merged, series_id: hourRow.series_id });
    expect(hourAfter!.sum).toBeCloseTo(hourRow.sum + 1e6, 6);
    const dayAfter = (await rollups('1d', org.orgId)).find((r) => r.bucket === day);
    expect(dayAfter).toMatchObject({ count: dayRow.count + 1, min: dayRow.min, max: 1e6 });
    expect(dayAfter!.sum).toBeCloseTo(dayRow.sum + 1e6, 6);
    // The merged minute did not come back to the expired level, and its samples went with the merge, so a
    // second alarm adds nothing.
    expect((await rollups('1m', org.orgId)).some((r) => r.bucket < hour + HOUR)).toBe(false);
    const hub = deviceHubFor(env, device.deviceId);
    expect(await hub.stats()).toMatchObject({ dirtyMinutes: 0 });
    const lateSamples = await runInDurableObject(
      hub,
      (_o, state) =>
        state.storage.sql
          .exec<{ n: number }>('SELECT COUNT(*) AS n FROM samples WHERE ts >= ? AND ts < ?', hour, hour + HOUR)
          .one().n,
    );
    expect(lateSamples).toBe(0);
    await alarm(device.deviceId);
    await alarm(device.deviceId);
    expect((await rollups('1h', org.orgId)).find((r) => r.bucket === hour)).toEqual(hourAfter);
    expect((await rollups('1d', org.orgId)).find((r) => r.bucket === day)).toEqual(dayAfter);
  });
});

describe('rollup retention in bounded chunks', () => {
  it('sweeps a backlog larger than one chunk over alarms that come back within a second', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'chunked');
    const hub = deviceHubFor(env, device.deviceId);
    // 24 series, one minute in every hour for 40 days: 23,040 hour rows of minutes.
    const end = T - (T % HOUR);
    const samples = [...Array(24).keys()].flatMap((i) => hourly(end, 40 * 24, 1, MINUTE, 0, { room: `r${i}` }));
    await ingestAll(device.deviceToken, samples, 'chunked');
    await flush(device.deviceId);
    const nextAlarm = () => runInDurableObject(hub, (_o, state) => state.storage.getAlarm());
    /** Runs the alarm while it comes back within SWEEP_AGAIN_MS (a sweep left work); returns how many runs. */
    async function untilIdle(): Promise<number> {
      let runs = 0;
      do {
        await alarm(device.deviceId);
        runs++;
      } while (runs < 20 && ((await nextAlarm()) ?? Infinity) <= Date.now() + SWEEP_AGAIN_MS);
      return runs;
    }
    // Raw samples first, so what is left below is the rollups' backlog alone.
    await setRetention(org, { rawDays: 10 });
    await rereadRetention(device.deviceId);
    await untilIdle();

    const held = { '1m': await rollups('1m', org.orgId), '1h': await rollups('1h', org.orgId) };
    await setRetention(org, { rollup1mDays: 20, rollup1hDays: 30 });
    await rereadRetention(device.deviceId);
    const now = Date.now();
    const cutoff1m = now - (now % HOUR) - 20 * DAY;
    const cutoff1h = now - (now % DAY) - 30 * DAY;
    // One minute per hour row: between the two windows alone, more rows than one chunk.
    expect(held['1m'].filter((r) => r.bucket >= cutoff1h && r.bucket < cutoff1m).length).toBeGreaterThan(
      ROLLUP_SWEEP_CHUNK,
    );

    await alarm(device.deviceId);
    expect((await rollups('1m', org.orgId)).some((r) => r.bucket < cutoff1m)).toBe(true);
    expect(await nextAlarm()).toBeLessThanOrEqual(Date.now() + SWEEP_AGAIN_MS);
    await expectNested(device.deviceId);

    expect(await untilIdle()).toBeGreaterThanOrEqual(1);
    expect(await rollups('1m', org.orgId)).toEqual(held['1m'].filter((r) => r.bucket >= cutoff1m));
    expect(await rollups('1h', org.orgId)).toEqual(held['1h'].filter((r) => r.bucket >= cutoff1h));
    await expectNested(device.deviceId);
  });
});

describe('minute sweeps asked by the cron', () => {
  it("has a hub whose device row reports minutes past the org's window sweep them, leaving hours and days to its alarm", async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'cron-swept');
    await ingestAll(device.deviceToken, hourly(T - (T % HOUR), 30 * 24, 2, MINUTE), 'cron-swept');
    await flush(device.deviceId);
    const row = () =>
      env.DB.prepare('SELECT minutes_from, minute_rows FROM devices WHERE id = ?')
        .bind(device.deviceId)
        .first<{ minutes_from: number; minute_rows: number }>();
    const before = {
      '1m': await rollups('1m', org.orgId),
      '1h': await rollups('1h', org.orgId),
      '1d': await rollups('1d', org.orgId),
    };
    expect((await row())?.minutes_from).toBe(before['1m'][0]!.bucket - (before['1m'][0]!.bucket % HOUR));

    // The hub still has the wider windows it read within the hour: only the cron acts on the change now.
    await setRetention(org, { rawDays: 10, rollup1mDays: 20 });
    const now = Date.now();
    await runCron(env, now);
    const cutoff = now - (now % HOUR) - 20 * DAY;
    expect(before['1m'].some((r) => r.bucket < cutoff)).toBe(true);
    const minutes = await rollups('1m', org.orgId);
    expect(minutes).toEqual(before['1m'].filter((r) => r.bucket >= cutoff));
    expect(await rollups('1h', org.orgId)).toEqual(before['1h']);
    expect(await rollups('1d', org.orgId)).toEqual(before['1d']);

    // The hub reports its new figures with its next alarm, so the next cron run asks it nothing.
    await alarm(device.deviceId);
    expect(await row()).toEqual({
      minutes_from: minutes[0]!.bucket - (minutes[0]!.bucket % HOUR),
      minute_rows: minutes.length,
    });
    expect((await row())!.minutes_from).toBeGreaterThanOrEqual(cutoff);
  });
});
