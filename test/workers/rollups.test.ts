import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { seriesId, seriesKey } from '../../workers/src/services/ingest/series-key.ts';
import { batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { d1Rollups, hubMinutes, seriesNum } from './rollup-helpers.ts';
import type { RollupAggregates } from '../../schema/wire/history.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const LEVELS = [
  ['rollups_1m', MINUTE],
  ['rollups_1h', HOUR],
  ['rollups_1d', DAY],
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

/** Runs cron until no bucket is left marked. */
async function cronUntilDone(): Promise<void> {
  const marks = () => env.DB.prepare('SELECT COUNT(*) AS n FROM rollup_marks').first<number>('n');
  for (let i = 0; (await marks()) !== 0; i++) {
    if (i === 20) throw new Error('cron left marks behind');
    await runCron(env, Date.now());
  }
}

async function rows(table: string, deviceId: string): Promise<Row[]> {
  if (table === 'rollups_1m') return hubMinutes(deviceId);
  return d1Rollups(table as 'rollups_1h' | 'rollups_1d', 's.device_id = ?', deviceId);
}

async function dump(deviceId: string): Promise<string> {
  const tables = await Promise.all([
    hubMinutes(deviceId),
    ...(['rollups_1h', 'rollups_1d'] as const).map((table) =>
      env.DB.prepare(`SELECT * FROM ${table} ORDER BY sid, bucket`)
        .all()
        .then((r) => r.results),
    ),
  ]);
  return JSON.stringify(tables);
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

describe('rollups 1m → 1h → 1d', () => {
  it('match a direct computation from the samples at every level, and a second cron changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(samplesArb, async (samples) => {
        const device = await enroll(org, `prop-${++devices}`);
        await ingestAll(device.deviceToken, samples, `prop-${devices}`);
        await flush(device.deviceId);
        await cronUntilDone();
        for (const [table, size] of LEVELS) {
          expectRows(await rows(table, device.deviceId), await expected(device.deviceId, samples, size));
        }
        const before = await dump(device.deviceId);
        await runCron(env, Date.now());
        await runCron(env, Date.now());
        expect(await dump(device.deviceId)).toBe(before);
      }),
      { numRuns: 15 },
    );
    // Fifteen ingest → flush → cron rounds in workerd: room for a loaded two-core machine.
  }, 30_000);

  it('fold late data for an already rolled-up hour into the hour and the day on the next cron', async () => {
    const device = await enroll(org, 'late');
    const hour = Date.now() - 2 * DAY - ((Date.now() - 2 * DAY) % HOUR);
    const first: Sample[] = [
      { series: 2, ts: hour + 5 * MINUTE, value: 4 },
      { series: 2, ts: hour + 30 * MINUTE, value: 8 },
      { series: 2, ts: hour + 2 * HOUR, value: 1 },
    ];
    await ingestAll(device.deviceToken, first, 'late-a');
    await flush(device.deviceId);
    await cronUntilDone();
    const id = await seriesId(device.deviceId, 'load');
    const day = hour - (hour % DAY);
    expect((await rows('rollups_1h', device.deviceId))[0]).toEqual({
      series_id: id,
      bucket: hour,
      count: 2,
      sum: 12,
      min: 4,
      max: 8,
      last: 8,
    });

    await ingestAll(device.deviceToken, [{ series: 2, ts: hour + 59 * MINUTE, value: -3 }], 'late-b');
    await flush(device.deviceId);
    const marks = await env.DB.prepare('SELECT level, sid, bucket FROM rollup_marks').all();
    expect(marks.results).toEqual([{ level: '1d', sid: await seriesNum(id), bucket: day }]);
    await cronUntilDone();

    const hours = await rows('rollups_1h', device.deviceId);
    expect(hours).toEqual([
      { series_id: id, bucket: hour, count: 3, sum: 9, min: -3, max: 8, last: -3 },
      { series_id: id, bucket: hour + 2 * HOUR, count: 1, sum: 1, min: 1, max: 1, last: 1 },
    ]);
    // The hour two hours on may fall on the next UTC day; the day rows are rebuilt from the hours either way.
    const days = await rows('rollups_1d', device.deviceId);
    expect(days).toEqual(
      await expected(device.deviceId, [...first, { series: 2, ts: hour + 59 * MINUTE, value: -3 }], DAY),
    );
    expect(days.find((d) => d.bucket === day)).toMatchObject({ min: -3, max: 8 });
  });

  it('drop the hour row when all its minutes were deleted, and rebuild the day without it', async () => {
    const device = await enroll(org, 'deleted');
    const day = Date.now() - 2 * DAY - ((Date.now() - 2 * DAY) % DAY);
    const samples: Sample[] = [
      { series: 0, ts: day + 3 * HOUR, value: 10 },
      { series: 0, ts: day + 5 * HOUR, value: 20 },
    ];
    await ingestAll(device.deviceToken, samples, 'deleted');
    await flush(device.deviceId);
    await cronUntilDone();
    const id = await seriesId(device.deviceId, seriesKey('temp_c', { room: 'a' }));
    // What a data deletion does to D1 now that the hub writes hours: remove the hour and mark its day.
    const num = await seriesNum(id);
    await env.DB.batch([
      env.DB.prepare('DELETE FROM rollups_1h WHERE sid = ? AND bucket >= ? AND bucket < ?').bind(
        num,
        day + 5 * HOUR,
        day + 6 * HOUR,
      ),
      env.DB.prepare("INSERT INTO rollup_marks (level, sid, bucket, org_id) VALUES ('1d', ?, ?, ?)").bind(
        num,
        day,
        org.orgId,
      ),
    ]);
    await cronUntilDone();
    expect(await rows('rollups_1h', device.deviceId)).toEqual([
      { series_id: id, bucket: day + 3 * HOUR, count: 1, sum: 10, min: 10, max: 10, last: 10 },
    ]);
    expect(await rows('rollups_1d', device.deviceId)).toEqual([
      { series_id: id, bucket: day, count: 1, sum: 10, min: 10, max: 10, last: 10 },
    ]);
  });
});
