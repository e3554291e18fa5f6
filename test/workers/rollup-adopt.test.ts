import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { createRollupStorage } from '../../workers/src/objects/device-hub/minute-store.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { hubRollups, type StoredRollup } from './rollup-helpers.ts';

/**
 * An object from before hours and days lived in the DeviceHubs: its hours and days are in D1
 * (`rollups_1h`, `rollups_1d`, last written by the old flush and cron), and it has no hour or
 * day table. Its alarm brings them in once, and the API answers from the hub afterwards.
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

let org: TestOrg;
let deviceId: string;
let seriesId: string;
let num: number;
const now = Date.now();
const today = now - (now % DAY);
/** The previous clock hour: every sample in it is in the past, whenever the test runs. */
const thisHour = now - (now % HOUR) - HOUR;
const itsDay = thisHour - (thisHour % DAY);
/** Where the old cron had swept hours to: days before it hold no hours in D1. */
const swept = today - 400 * DAY;

const row = (bucket: number, count: number, value: number) => ({
  bucket,
  count,
  sum: count * value,
  min: value,
  max: value,
  last: value,
});

async function putD1(table: 'rollups_1h' | 'rollups_1d', rows: ReturnType<typeof row>[]): Promise<void> {
  await env.DB.batch(
    rows.map((r) =>
      env.DB.prepare(
        `INSERT INTO ${table} (sid, bucket, count, sum, min, max, last) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).bind(num, r.bucket, r.count, r.sum, r.min, r.max, r.last),
    ),
  );
}

/** Runs the hub's alarm until its adoption is done (each run takes one bounded chunk). */
async function adopt(): Promise<void> {
  const hub = deviceHubFor(env, deviceId);
  // The old object wakes from an alarm (or a batch); each run re-arms while there is more.
  await runInDurableObject(hub, (_o, state) => state.storage.setAlarm(Date.now()));
  for (let i = 0; i < 20; i++) {
    await runDurableObjectAlarm(hub);
    const pending = await runInDurableObject(
      deviceHubFor(env, deviceId),
      (_o, state) => state.storage.sql.exec("SELECT 1 FROM meta WHERE key = 'rollupAdoption'").toArray().length > 0,
    );
    if (!pending) return;
  }
  throw new Error('adoption did not finish in 20 alarm runs');
}

const strip = (rows: StoredRollup[]) => rows.map(({ series_id: _s, ...r }) => r);

beforeAll(async () => {
  org = await seedOrg();
});

describe('adopting D1 hours and days into an older DeviceHub', () => {
  beforeAll(async () => {
    const enrolled = await enroll(org, 'old');
    deviceId = enrolled.deviceId;
    const { deviceToken } = enrolled;
    // Two samples in the last hour, rolled up by the alarm as the old object did (its minutes were local).
    const res = await ingest(
      deviceToken,
      batch('now', [
        { metric: 'temp_c', ts: thisHour + 60_000, value: 20 },
        { metric: 'temp_c', ts: thisHour + 120_000, value: 22 },
      ]),
    );
    expect(res.status).toBe(200);
    await flush(deviceId);
    ({ id: seriesId, num } = (await env.DB.prepare('SELECT id, num FROM series WHERE device_id = ?')
      .bind(deviceId)
      .first<{ id: string; num: number }>())!);
    // Make it an object from before: no hour or day tables, no counts or watermarks of theirs.
    await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) => {
      state.storage.sql.exec(
        "DROP TABLE hour_days; DROP TABLE day_spans; DELETE FROM meta WHERE key IN ('hourCount', 'dayCount', 'hourWatermark', 'dayWatermark')",
      );
    });
    // What D1 held: this hour as the old flush wrote it, hours of ten days ago, their day, an
    // older day, a day below the sweep, and a late hour the old cron had not folded into it yet.
    await putD1('rollups_1h', [
      row(thisHour, 2, 21),
      row(today - 10 * DAY + 3 * HOUR, 6, 10),
      row(today - 10 * DAY + 4 * HOUR, 6, 12),
      row(swept - 2 * DAY + 5 * HOUR, 1, 50),
    ]);
    await putD1('rollups_1d', [
      row(today - 10 * DAY, 999, 1), // stale: the marked day was never recomputed; the hours win
      row(swept - 2 * DAY, 100, 5),
      row(swept - 30 * DAY, 240, 7),
    ]);
    await env.DB.prepare("INSERT INTO rollup_sweeps (org_id, level, through) VALUES (?, '1h', ?)")
      .bind(org.orgId, swept)
      .run();
    // The object starts again: its storage is brought up to date, and adoption is marked.
    await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) => createRollupStorage(state.storage.sql));
    // A batch arrives meanwhile: this hour is rebuilt from the minutes the object holds, over D1's value.
    const late = await ingest(
      deviceToken,
      batch('meanwhile', [{ metric: 'temp_c', ts: thisHour + 180_000, value: 24 }]),
    );
    expect(late.status).toBe(200);
    await adopt();
  });

  it('holds D1 hours beside its own, the hour it rebuilt from its minutes winning, and D1 days below the sweep', async () => {
    expect(strip(await hubRollups(deviceId, '1h'))).toEqual([
      row(today - 10 * DAY + 3 * HOUR, 6, 10),
      row(today - 10 * DAY + 4 * HOUR, 6, 12),
      { bucket: thisHour, count: 3, sum: 66, min: 20, max: 24, last: 24 },
    ]);
    const days = strip(await hubRollups(deviceId, '1d'));
    expect(days).toEqual([
      row(swept - 30 * DAY, 240, 7),
      // The late hour below the sweep is added to its day, once.
      { bucket: swept - 2 * DAY, count: 101, sum: 550, min: 5, max: 50, last: 50 },
      // Days from the sweep on are rebuilt from their hours.
      { bucket: today - 10 * DAY, count: 12, sum: 132, min: 10, max: 12, last: 12 },
      { bucket: itsDay, count: 3, sum: 66, min: 20, max: 24, last: 24 },
    ]);
  });

  it('answers history at 1h and 1d from the hub, and another alarm changes nothing', async () => {
    const before = [await hubRollups(deviceId, '1h'), await hubRollups(deviceId, '1d')];
    await flush(deviceId);
    expect([await hubRollups(deviceId, '1h'), await hubRollups(deviceId, '1d')]).toEqual(before);
    const from = today - 11 * DAY;
    const res = await api(
      org.apiKey,
      `/v1/history?series=${seriesId}&from=${from}&to=${today - 9 * DAY}&step=${HOUR}&source=1h&agg=sum`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { source: string; series: { points: { ts: number; value: number }[] }[] };
    expect(body.source).toBe('1h');
    expect(body.series[0]!.points).toEqual([
      { ts: today - 10 * DAY + 3 * HOUR, value: 60 },
      { ts: today - 10 * DAY + 4 * HOUR, value: 72 },
    ]);
    const days = await api(
      org.apiKey,
      `/v1/history?series=${seriesId}&from=${swept - 40 * DAY}&to=${swept}&step=${DAY}&source=1d&agg=count`,
    );
    expect(((await days.json()) as { series: { points: unknown[] }[] }).series[0]!.points).toEqual([
      { ts: swept - 30 * DAY, value: 240 },
      { ts: swept - 2 * DAY, value: 101 },
    ]);
  });

  it('keeps the sweep as its hour watermark: late data below it goes to the day', async () => {
    const marks = await runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
      Object.fromEntries(
        state.storage.sql
          .exec<{ key: string; value: string }>(
            "SELECT key, value FROM meta WHERE key IN ('hourWatermark', 'minuteWatermark')",
          )
          .toArray()
          .map((r) => [r.key, JSON.parse(r.value) as number]),
      ),
    );
    expect(marks.hourWatermark).toBe(swept);
    expect(marks.minuteWatermark).toBeGreaterThanOrEqual(swept);
  });
});
