import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { seriesId, seriesKey } from '../../workers/src/services/ingest/series-key.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { hubRollups } from './rollup-helpers.ts';
import type { RollupAggregates } from '../../schema/wire/history.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const LEVELS = [
  ['1m', MINUTE],
  ['1h', HOUR],
  ['1d', DAY],
] as const;

const SERIES = [
  { metric: 'temp_c', labels: { room: 'a' } },
  { metric: 'temp_c', labels: { room: 'b' } },
  { metric: 'load' },
] as const;

interface Row extends RollupAggregates {
  series_id: string;
  bucket: number;
}

interface Sample {
  series: number;
  ts: number;
  value: number;
}

let org: TestOrg;
let devices = 0;

beforeAll(async () => {
  org = await seedOrg();
});

const rows = (level: '1m' | '1h' | '1d', deviceId: string): Promise<Row[]> => hubRollups(deviceId, level);

/** Runs the device's alarm once; it must have been armed (a device holding rollups keeps one for its upkeep). */
async function alarm(deviceId: string): Promise<void> {
  expect(await runDurableObjectAlarm(deviceHubFor(env, deviceId))).toBe(true);
}

/** Everything the hub holds of its rollups: every level's rows, their bucket counts and watermarks. */
async function dump(deviceId: string): Promise<string> {
  return runInDurableObject(deviceHubFor(env, deviceId), (_o, state) => {
    const sql = state.storage.sql;
    const tables = ['minute_hours', 'hour_days', 'day_spans'].map((table) =>
      sql
        .exec<{ key: number; block: ArrayBuffer }>(`SELECT key, block FROM ${table} ORDER BY key`)
        .toArray()
        .map((r) => [r.key, [...new Uint8Array(r.block)]]),
    );
    const meta = sql
      .exec(
        `SELECT key, value FROM meta WHERE key IN
           ('minuteCount', 'hourCount', 'dayCount', 'minuteWatermark', 'hourWatermark', 'dayWatermark') ORDER BY key`,
      )
      .toArray();
    return JSON.stringify({ tables, meta });
  });
}

/** Rollups computed straight from the samples: the reference the stored rows must match. */
async function expected(deviceId: string, samples: Sample[], size: number): Promise<Row[]> {
  const ids = await Promise.all(
    SERIES.map((s) => seriesId(deviceId, seriesKey(s.metric, 'labels' in s ? s.labels : undefined))),
  );
  const buckets = new Map<string, Row & { lastTs: number }>();
  for (const s of samples) {
    const bucket = s.ts - (s.ts % size);
    const key = `${ids[s.series]}|${bucket}`;
    const row = buckets.get(key);
    if (!row) {
      const first = { series_id: ids[s.series]!, bucket, count: 1, sum: s.value, min: s.value, max: s.value };
      buckets.set(key, { ...first, last: s.value, lastTs: s.ts });
      continue;
    }
    row.count++;
    row.sum += s.value;
    row.min = Math.min(row.min, s.value);
    row.max = Math.max(row.max, s.value);
    if (s.ts > row.lastTs) Object.assign(row, { last: s.value, lastTs: s.ts });
  }
  return [...buckets.values()]
    .map(({ lastTs: _, ...row }) => row)
    .sort((a, b) => (a.series_id < b.series_id ? -1 : a.series_id > b.series_id ? 1 : a.bucket - b.bucket));
}

function expectRows(actual: Row[], wanted: Row[]): void {
  expect(actual.map((r) => [r.series_id, r.bucket, r.count, r.min, r.max, r.last])).toEqual(
    wanted.map((r) => [r.series_id, r.bucket, r.count, r.min, r.max, r.last]),
  );
  for (const [i, r] of actual.entries()) expect(r.sum).toBeCloseTo(wanted[i]!.sum, 6);
}

async function ingestAll(deviceToken: string, samples: Sample[], tag: string): Promise<void> {
  // Two batches, so a bucket is built from more than one ingest.
  const half = Math.ceil(samples.length / 2);
  for (const [i, part] of [samples.slice(0, half), samples.slice(half)].entries()) {
    if (part.length === 0) continue;
    const body = batch(
      `${tag}-${i}`,
      part.map((s) => ({ ...SERIES[s.series]!, ts: s.ts, value: s.value })),
    );
    const res = await ingest(deviceToken, body);
    expect(res.status).toBe(200);
  }
}

// Samples fall in the first minutes of a few hours over three days, so buckets at every level
// hold several samples, with unique timestamps per series (a repeated one would replace the first).
const start = Date.now() - 3 * DAY;
const sampleArb = fc.record({
  series: fc.integer({ min: 0, max: SERIES.length - 1 }),
  ts: fc
    .tuple(fc.integer({ min: 0, max: 71 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 59_999 }))
    .map(([h, m, ms]) => start - (start % HOUR) + HOUR + h * HOUR + m * MINUTE + ms),
  // JSON has no -0 (it is sent as 0), so the expected aggregates are computed from what is sent: + 0 turns -0 into 0.
  value: fc
    .oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e4, max: 1e4, noNaN: true }))
    .map((v) => v + 0),
});
const samplesArb = fc.uniqueArray(sampleArb, {
  minLength: 1,
  maxLength: 120,
  selector: (s) => `${s.series}|${s.ts}`,
});

describe('rollups 1m → 1h → 1d in the DeviceHub', () => {
  it("match a direct computation from the samples at every level after the alarm's flush, and a second alarm changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(samplesArb, async (samples) => {
        const device = await enroll(org, `prop-${++devices}`);
        await ingestAll(device.deviceToken, samples, `prop-${devices}`);
        await flush(device.deviceId);
        for (const [level, size] of LEVELS) {
          expectRows(await rows(level, device.deviceId), await expected(device.deviceId, samples, size));
        }
        // The counts the hub keeps (and reports) are the buckets it holds.
        expect(await deviceHubFor(env, device.deviceId).stats()).toMatchObject({
          dirtyMinutes: 0,
          minutes: (await expected(device.deviceId, samples, MINUTE)).length,
          hours: (await expected(device.deviceId, samples, HOUR)).length,
          days: (await expected(device.deviceId, samples, DAY)).length,
        });
        const before = await dump(device.deviceId);
        await alarm(device.deviceId);
        await alarm(device.deviceId);
        expect(await dump(device.deviceId)).toBe(before);
      }),
      { numRuns: 15 },
    );
    // Fifteen ingest → alarm rounds in workerd: room for a loaded two-core machine.
  }, 30_000);

  it('rebuild an already rolled-up hour and its day from the minutes when late data comes for it, in the same alarm', async () => {
    const device = await enroll(org, 'late');
    const hour = Date.now() - 2 * DAY - ((Date.now() - 2 * DAY) % HOUR);
    const first: Sample[] = [
      { series: 2, ts: hour + 5 * MINUTE, value: 4 },
      { series: 2, ts: hour + 30 * MINUTE, value: 8 },
      { series: 2, ts: hour + 2 * HOUR, value: 1 },
    ];
    await ingestAll(device.deviceToken, first, 'late-a');
    await flush(device.deviceId);
    const id = await seriesId(device.deviceId, 'load');
    const day = hour - (hour % DAY);
    expect((await rows('1h', device.deviceId))[0]).toEqual({
      series_id: id,
      bucket: hour,
      count: 2,
      sum: 12,
      min: 4,
      max: 8,
      last: 8,
    });

    const late = { series: 2, ts: hour + 59 * MINUTE, value: -3 };
    await ingestAll(device.deviceToken, [late], 'late-b');
    // The flush that takes the late minute rebuilds its hour and day: nothing is left for later.
    await flush(device.deviceId);

    const hours = await rows('1h', device.deviceId);
    expect(hours).toEqual([
      { series_id: id, bucket: hour, count: 3, sum: 9, min: -3, max: 8, last: -3 },
      { series_id: id, bucket: hour + 2 * HOUR, count: 1, sum: 1, min: 1, max: 1, last: 1 },
    ]);
    // The hour two hours on may fall on the next UTC day; the day rows are rebuilt from the hours either way.
    const days = await rows('1d', device.deviceId);
    expect(days).toEqual(await expected(device.deviceId, [...first, late], DAY));
    expect(days.find((d) => d.bucket === day)).toMatchObject({ min: -3, max: 8 });
    expect(await rows('1m', device.deviceId)).toEqual(await expected(device.deviceId, [...first, late], MINUTE));
    // Rebuilt, not added to: another alarm counts the late sample no second time.
    const before = await dump(device.deviceId);
    await alarm(device.deviceId);
    expect(await dump(device.deviceId)).toBe(before);
  });

  it('keep an hour and its day when its minutes are swept, and add late data for it to both once', async () => {
    const device = await enroll(org, 'swept');
    const hub = deviceHubFor(env, device.deviceId);
    const day = Date.now() - 2 * DAY - ((Date.now() - 2 * DAY) % DAY);
    const samples: Sample[] = [
      { series: 0, ts: day + 3 * HOUR, value: 10 },
      { series: 0, ts: day + 5 * HOUR, value: 20 },
    ];
    await ingestAll(device.deviceToken, samples, 'swept');
    await flush(device.deviceId);
    const id = await seriesId(device.deviceId, seriesKey('temp_c', { room: 'a' }));
    const hours = await rows('1h', device.deviceId);
    const days = await rows('1d', device.deviceId);
    expect(days).toEqual([{ series_id: id, bucket: day, count: 2, sum: 30, min: 10, max: 20, last: 20 }]);

    // The minutes of both hours go (as the cron asks a hub whose minutes are past the org's window): the
    // hours and the day keep what they counted.
    expect(await hub.sweepMinutes(day + 6 * HOUR)).toBe(false);
    expect(await rows('1m', device.deviceId)).toEqual([]);
    expect(await rows('1h', device.deviceId)).toEqual(hours);
    expect(await rows('1d', device.deviceId)).toEqual(days);

    // A late sample for the second hour is added to that hour and to the day, not rebuilt from it alone.
    await ingestAll(device.deviceToken, [{ series: 0, ts: day + 5 * HOUR + 10 * MINUTE, value: 5 }], 'swept-late-a');
    await flush(device.deviceId);
    expect(await rows('1m', device.deviceId)).toEqual([]);
    expect(await rows('1h', device.deviceId)).toEqual([
      { series_id: id, bucket: day + 3 * HOUR, count: 1, sum: 10, min: 10, max: 10, last: 10 },
      { series_id: id, bucket: day + 5 * HOUR, count: 2, sum: 25, min: 5, max: 20, last: 5 },
    ]);
    expect(await rows('1d', device.deviceId)).toEqual([
      { series_id: id, bucket: day, count: 3, sum: 35, min: 5, max: 20, last: 5 },
    ]);
    // Another sample in the same minute adds itself only: the first late one was counted once and is gone.
    await ingestAll(
      device.deviceToken,
      [{ series: 0, ts: day + 5 * HOUR + 10 * MINUTE + 1, value: 7 }],
      'swept-late-b',
    );
    await flush(device.deviceId);
    const after = await dump(device.deviceId);
    expect(await rows('1h', device.deviceId)).toEqual([
      { series_id: id, bucket: day + 3 * HOUR, count: 1, sum: 10, min: 10, max: 10, last: 10 },
      { series_id: id, bucket: day + 5 * HOUR, count: 3, sum: 32, min: 5, max: 20, last: 7 },
    ]);
    expect(await rows('1d', device.deviceId)).toEqual([
      { series_id: id, bucket: day, count: 4, sum: 42, min: 5, max: 20, last: 7 },
    ]);
    await alarm(device.deviceId);
    await alarm(device.deviceId);
    expect(await dump(device.deviceId)).toBe(after);
  });

  it("drop deleted data's hours and days, and build them again from what comes after alone", async () => {
    const device = await enroll(org, 'deleted');
    const day = Date.now() - 2 * DAY - ((Date.now() - 2 * DAY) % DAY);
    const samples: Sample[] = [
      { series: 0, ts: day + 3 * HOUR, value: 10 },
      { series: 0, ts: day + 5 * HOUR, value: 20 },
    ];
    await ingestAll(device.deviceToken, samples, 'deleted');
    await flush(device.deviceId);
    const id = await seriesId(device.deviceId, seriesKey('temp_c', { room: 'a' }));
    expect(await rows('1h', device.deviceId)).toHaveLength(2);

    const res = await api(org.apiKey, `/v1/devices/${device.deviceId}/data`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    for (const [level] of LEVELS) expect(await rows(level, device.deviceId)).toEqual([]);

    // The device reports the first sample again; the deleted second one is in no level.
    await ingestAll(device.deviceToken, [samples[0]!], 'deleted-again');
    await flush(device.deviceId);
    expect(await rows('1h', device.deviceId)).toEqual([
      { series_id: id, bucket: day + 3 * HOUR, count: 1, sum: 10, min: 10, max: 10, last: 10 },
    ]);
    expect(await rows('1d', device.deviceId)).toEqual([
      { series_id: id, bucket: day, count: 1, sum: 10, min: 10, max: 10, last: 10 },
    ]);
  });
});
