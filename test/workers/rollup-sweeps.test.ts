import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { orgRollups } from './rollup-helpers.ts';

/** The hub's retention sweep and its flush together: what each level holds when data comes late or early. */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T = Date.now();
const END = T - (T % HOUR);

/** Twelve minutes at the start of each of the `hours` hours before END, value = hours back. */
function hourly(hours: number) {
  const samples = [];
  for (let h = 1; h <= hours; h++) {
    for (let k = 0; k < 12; k++) samples.push({ metric: 'temp_c', ts: END - h * HOUR + k * MINUTE, value: h });
  }
  return samples;
}

async function ingestAll(deviceToken: string, name: string, samples: { metric: string; ts: number; value: number }[]) {
  for (let i = 0; i < samples.length; i += 5000) {
    const res = await ingest(deviceToken, batch(`${name}-${i}`, samples.slice(i, i + 5000)));
    expect(res.status).toBe(200);
  }
}

async function load(org: TestOrg, name: string, samples: { metric: string; ts: number; value: number }[]) {
  const device = await enroll(org, name);
  await ingestAll(device.deviceToken, name, samples);
  await flush(device.deviceId);
  return device;
}

/** Changes the org's windows, and has the device's hub read them on its next alarm (it reads them at most hourly). */
async function setRetention(org: TestOrg, deviceId: string, retention: Record<string, number>) {
  const res = await api(org.apiKey, '/v1/org/settings', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ retention }),
  });
  expect(res.status).toBe(200);
  await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
    state.storage.sql.exec("DELETE FROM meta WHERE key = 'retention'"),
  );
}

async function alarm(deviceId: string): Promise<void> {
  expect(await runDurableObjectAlarm(deviceHubFor(env, deviceId))).toBe(true);
}

/** The hub's watermarks per level: buckets before them have been swept. */
const watermarks = (deviceId: string) =>
  runInDurableObject(deviceHubFor(env, deviceId), (_o, state) => {
    const get = (key: string) =>
      state.storage.sql
        .exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)
        .toArray()
        .map((r) => JSON.parse(r.value) as number)[0] ?? null;
    return { '1m': get('minuteWatermark'), '1h': get('hourWatermark'), '1d': get('dayWatermark') };
  });

const oldestDirty = (deviceId: string) =>
  runInDurableObject(
    deviceHubFor(env, deviceId),
    (_o, state) => state.storage.sql.exec<{ m: number | null }>('SELECT MIN(minute) AS m FROM dirty_minutes').one().m,
  );

const rows = async (level: '1m' | '1h' | '1d', orgId: string) =>
  (await orgRollups(orgId, level))
    .map(({ bucket, count, sum, min, max }) => ({ bucket, count, sum, min, max }))
    .sort((a, b) => a.bucket - b.bucket);

/** Every minute held has its hour held, and every hour its day: no level was swept past a finer one. */
async function expectNested(orgId: string) {
  const [minutes, hours, days] = await Promise.all([rows('1m', orgId), rows('1h', orgId), rows('1d', orgId)]);
  const hourSet = new Set(hours.map((h) => h.bucket));
  const daySet = new Set(days.map((d) => d.bucket));
  expect(minutes.filter((m) => !hourSet.has(m.bucket - (m.bucket % HOUR)))).toEqual([]);
  expect(hours.filter((h) => !daySet.has(h.bucket - (h.bucket % DAY)))).toEqual([]);
}

describe('rollup retention and late data in the DeviceHub', () => {
  it('rebuilds an expired hour the sweep has not reached yet from all its minutes, counting each once', async () => {
    const org = await seedOrg();
    const device = await load(org, 'not-yet-swept', hourly(40 * 24));
    // The windows narrow, and a late minute comes for an hour now past them, before any sweep.
    await setRetention(org, device.deviceId, { rawDays: 10, rollup1mDays: 20, rollup1hDays: 30 });
    const hour = END - 25 * 24 * HOUR;
    await ingestAll(device.deviceToken, 'late', [{ metric: 'temp_c', ts: hour + 30 * MINUTE, value: 1 }]);
    await flush(device.deviceId);
    // The alarm's sweep stopped at the hour waiting for its flush, which then rebuilt it from its 13 minutes.
    expect((await watermarks(device.deviceId))['1m']).toBe(hour);
    expect((await rows('1h', org.orgId)).find((r) => r.bucket === hour)).toEqual({
      bucket: hour,
      count: 13,
      sum: 12 * (25 * 24) + 1,
      min: 1,
      max: 25 * 24,
    });
    // …and the next alarm emptied the minutes before the 1-minute window, the hour staying as it was.
    await alarm(device.deviceId);
    const minutes = await rows('1m', org.orgId);
    expect(minutes[0]!.bucket).toBeGreaterThanOrEqual(END - 20 * DAY - HOUR);
    expect((await rows('1h', org.orgId)).find((r) => r.bucket === hour)).toMatchObject({ count: 13 });
    await expectNested(org.orgId);
  });

  it('keeps the minutes of an hour still waiting for its flush, and sweeps them once the hour has them', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'waiting');
    const samples = hourly(40 * 24);
    await ingestAll(device.deviceToken, 'waiting', samples);
    // One alarm flushes the oldest 2,000 of the 11,520 minutes: the hour it stopped in has some of its minutes.
    await alarm(device.deviceId);
    await setRetention(org, device.deviceId, { rawDays: 10, rollup1mDays: 20 });
    const waiting = (await oldestDirty(device.deviceId))!;
    const waitingHour = waiting - (waiting % HOUR);
    expect(waitingHour).toBeLessThan(END - 20 * DAY - HOUR);
    const before = await rows('1m', org.orgId);
    const inWaitingHour = before.filter((m) => m.bucket >= waitingHour);
    expect(inWaitingHour.length).toBeGreaterThan(0);
    expect(inWaitingHour.length).toBeLessThan(12);

    // The sweep, with the narrowed window, stops at that hour: its minutes stay until the hour is built from all 12.
    await alarm(device.deviceId);
    expect((await watermarks(device.deviceId))['1m']).toBe(waitingHour);
    const held = await rows('1m', org.orgId);
    expect(held.filter((m) => m.bucket < waitingHour)).toEqual([]);
    for (const m of inWaitingHour) expect(held).toContainEqual(m);

    await flush(device.deviceId);
    await alarm(device.deviceId);
    const hours = await rows('1h', org.orgId);
    expect(hours).toHaveLength(40 * 24);
    expect(hours.every((h) => h.count === 12)).toBe(true);
    const cutoff = Date.now() - (Date.now() % HOUR) - 20 * DAY;
    const direct = samples
      .map((s) => ({ bucket: s.ts, count: 1, sum: s.value, min: s.value, max: s.value }))
      .sort((a, b) => a.bucket - b.bucket);
    expect(await rows('1m', org.orgId)).toEqual(direct.filter((r) => r.bucket >= cutoff));
    await expectNested(org.orgId);
  });

  it('sweeps hours no further than minutes (nor past data waiting for its flush), so a day never counts an hour twice', async () => {
    const org = await seedOrg();
    const device = await load(org, 'hours-after-minutes', hourly(40 * 24));
    const days = await rows('1d', org.orgId);
    const hoursBefore = await rows('1h', org.orgId);
    // A late minute for an hour 35 days back holds its minutes (and those after) while it waits.
    const hour = END - 35 * 24 * HOUR;
    const day = hour - (hour % DAY);
    await ingestAll(device.deviceToken, 'late', [{ metric: 'temp_c', ts: hour + 30 * MINUTE, value: 0 }]);
    await setRetention(org, device.deviceId, { rawDays: 10, rollup1mDays: 20, rollup1hDays: 30 });
    await flush(device.deviceId);
    // Hours stop at the day of the waiting minute, minutes at its hour; days are kept forever.
    expect(await watermarks(device.deviceId)).toEqual({ '1m': hour, '1h': day, '1d': null });

    // The hour is rebuilt from its 13 minutes, and the day from its hours: one more sample, not 13.
    const dayRow = days.find((d) => d.bucket === day)!;
    expect((await rows('1d', org.orgId)).find((r) => r.bucket === day)).toEqual({
      ...dayRow,
      count: dayRow.count + 1,
      min: 0,
    });
    expect((await rows('1h', org.orgId)).find((r) => r.bucket === hour)).toMatchObject({ count: 13, min: 0 });
    await expectNested(org.orgId);

    // With nothing waiting, the next alarm takes both levels to their windows; the days keep what they counted.
    await alarm(device.deviceId);
    const now = Date.now();
    const cutoff1h = now - (now % DAY) - 30 * DAY;
    const cutoff1m = now - (now % HOUR) - 20 * DAY;
    expect(await watermarks(device.deviceId)).toEqual({ '1m': cutoff1m, '1h': cutoff1h, '1d': null });
    expect(await rows('1h', org.orgId)).toEqual(
      hoursBefore.filter((h) => h.bucket >= cutoff1h).map((h) => (h.bucket === hour ? { ...h, count: 13, min: 0 } : h)),
    );
    expect(await rows('1d', org.orgId)).toEqual(
      days.map((d) => (d.bucket === day ? { ...d, count: d.count + 1, min: 0 } : d)),
    );
    await expectNested(org.orgId);
  });
});
