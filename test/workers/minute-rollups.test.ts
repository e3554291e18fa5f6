import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { spanOfKey } from '../../workers/src/objects/device-hub/rollup-store.ts';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { seriesId } from '../../workers/src/services/ingest/series-key.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { alarmNow, type Hub } from './raw-blocks-helpers.ts';
import { hubMinutes, hubRollups, reportDue, rollUpRows, type StoredRollup } from './rollup-helpers.ts';

/**
 * The DeviceHub's rollups: hour rows of minute blocks rolled up into its hours and days, their
 * retention, late data added once, and an object from before adopting what D1 held.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T = Date.now();
const END = T - (T % HOUR);

async function setRetention(org: TestOrg, retention: Record<string, number>) {
  const res = await api(org.apiKey, '/v1/org/settings', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ retention }),
  });
  expect(res.status).toBe(200);
}

/** The hubs read the org's retention at most hourly: have the next alarm read it again. */
const forgetRetention = (hub: Hub) =>
  runInDurableObject(hub, (_o, state) => state.storage.sql.exec("DELETE FROM meta WHERE key = 'retention'"));

/** The hours of the hub's minute rows (one row per series and hour), ascending. */
const hourRows = (deviceId: string) =>
  runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
    state.storage.sql
      .exec<{ key: number }>('SELECT key FROM minute_hours ORDER BY key')
      .toArray()
      .map((r) => ({ hour: spanOfKey('1m', r.key) }))
      .sort((a, b) => a.hour - b.hour),
  );

const watermarks = (hub: Hub) =>
  runInDurableObject(hub, async (_o, state) => {
    const { watermark } = await import('../../workers/src/objects/device-hub/rollup-store.ts');
    const sql = state.storage.sql;
    return { minute: watermark(sql, '1m'), hour: watermark(sql, '1h'), day: watermark(sql, '1d') };
  });

const deviceRow = (deviceId: string) =>
  env.DB.prepare('SELECT minute_rows, minutes_from, hour_rows, day_rows FROM devices WHERE id = ?')
    .bind(deviceId)
    .first();

/** The buckets one level up, of one series. */
const rollUp = (rows: readonly StoredRollup[], size: number) => rollUpRows(rows, size);

describe('DeviceHub minute rows', () => {
  it('keeps one row per series and hour, merges a later batch of dirty minutes into it, and rolls it up into its hour and day', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'merge');
    const hub = deviceHubFor(env, device.deviceId);
    const hour = END - 5 * HOUR;
    const first = [0, 1, 2].map((m) => ({ metric: 'load', ts: hour + m * MINUTE + 5_000, value: m }));
    expect((await ingest(device.deviceToken, batch('a', first))).status).toBe(200);
    await flush(device.deviceId);
    // The first alarm writes the device row at once (its status changed: it came online).
    expect(await deviceRow(device.deviceId)).toEqual({ minute_rows: 3, minutes_from: hour, hour_rows: 1, day_rows: 1 });
    // Minute 1 again (a second sample) and a new minute 30: minutes 0 and 2 stay as they were.
    const second = [
      { metric: 'load', ts: hour + MINUTE + 30_000, value: 10 },
      { metric: 'load', ts: hour + 30 * MINUTE, value: -4 },
    ];
    expect((await ingest(device.deviceToken, batch('b', second))).status).toBe(200);
    await flush(device.deviceId);

    expect(await hourRows(device.deviceId)).toEqual([{ hour }]);
    const id = await seriesId(device.deviceId, 'load');
    const row = (minute: number, values: number[]) => ({
      series_id: id,
      bucket: hour + minute * MINUTE,
      count: values.length,
      sum: values.reduce((a, b) => a + b, 0),
      min: Math.min(...values),
      max: Math.max(...values),
      last: values[values.length - 1],
    });
    expect(await hubMinutes(device.deviceId)).toEqual([row(0, [0]), row(1, [1, 10]), row(2, [2]), row(30, [-4])]);
    // The hub's hour is the absolute total of its minutes, and its day the total of its hours.
    const total = { series_id: id, count: 5, sum: 9, min: -4, max: 10, last: -4 };
    expect(await hubRollups(device.deviceId, '1h')).toEqual([{ ...total, bucket: hour }]);
    expect(await hubRollups(device.deviceId, '1d')).toEqual([{ ...total, bucket: hour - (hour % DAY) }]);
    expect(await hub.stats()).toMatchObject({ minutes: 4, hours: 1, days: 1 });
    // The device row's figures wait for the report interval while the device stays online...
    expect(await deviceRow(device.deviceId)).toEqual({ minute_rows: 3, minutes_from: hour, hour_rows: 1, day_rows: 1 });
    // ...and follow once it has passed.
    await reportDue(device.deviceId);
    await runDurableObjectAlarm(hub);
    expect(await deviceRow(device.deviceId)).toEqual({ minute_rows: 4, minutes_from: hour, hour_rows: 1, day_rows: 1 });
  });

  it("deletes hour rows past the org's minute retention from the alarm, but not an hour still waiting for its flush", async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'expiring');
    const samples = [];
    for (let d = 1; d <= 10; d++) samples.push({ metric: 'temp_c', ts: END - d * DAY + 5 * MINUTE, value: d });
    expect((await ingest(device.deviceToken, batch('old', samples))).status).toBe(200);
    await flush(device.deviceId);
    expect(await hourRows(device.deviceId)).toHaveLength(10);

    await setRetention(org, { rawDays: 3, rollup1mDays: 4 });
    // A late sample 8 days back is dirty until the alarm's flush: the sweep stops before its hour.
    const late = END - 8 * DAY + 7 * MINUTE;
    const lateHour = late - (late % HOUR);
    expect((await ingest(device.deviceToken, batch('late', [{ metric: 'temp_c', ts: late, value: 0 }]))).status).toBe(
      200,
    );
    const hub = deviceHubFor(env, device.deviceId);
    await forgetRetention(hub);
    await runDurableObjectAlarm(hub);
    const cutoff = END - 4 * DAY;
    const left = (await hourRows(device.deviceId)).map((r) => r.hour);
    expect(left.filter((h) => h < lateHour)).toEqual([]);
    expect(left).toContain(lateHour);
    // Minutes swept up to the waiting hour only; hours (kept 730 days) and days (forever) untouched.
    const marks = await watermarks(hub);
    expect(marks.minute).toBe(lateHour);
    expect(marks.hour).toBeLessThan(END - 10 * DAY);
    expect(marks.day).toBeNull();
    // Flushed in that run (the minute joined its hour): the next run sweeps it with the rest.
    await runDurableObjectAlarm(hub);
    const after = (await hourRows(device.deviceId)).map((r) => r.hour);
    expect(after.every((h) => h >= cutoff)).toBe(true);
    expect(after).toHaveLength(4);
    expect(await hub.stats()).toMatchObject({ minutes: 4, hours: 10, days: 10 });
    expect((await watermarks(hub)).minute).toBe(cutoff);
    // The hub's hours and days keep every sample, the late one included (in its hour, with the one it joined).
    const hours = await hubRollups(device.deviceId, '1h');
    expect(hours.reduce((n, h) => n + h.count, 0)).toBe(11);
    expect(hours.find((h) => h.bucket === lateHour)).toMatchObject({ count: 2, sum: 8, min: 0, max: 8 });
    const days = await hubRollups(device.deviceId, '1d');
    expect(days.reduce((n, d) => n + d.count, 0)).toBe(11);
  });

  it('adds late data below the minute watermark to its hour exactly once, even when its batch is sent twice', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'late');
    const hour = END - 30 * DAY;
    const day = hour - (hour % DAY);
    const minutes = [0, 10, 20].map((m) => ({ metric: 'load', ts: hour + m * MINUTE, value: m }));
    expect((await ingest(device.deviceToken, batch('base', minutes))).status).toBe(200);
    await flush(device.deviceId);
    await setRetention(org, { rawDays: 10, rollup1mDays: 20 });
    // The hub reads the org's retention at most hourly: this one reads it at its next alarm. Without
    // that, its cached 30-day raw retention keeps the base samples or not depending on the minute
    // of the hour the test runs in (they are 30 days old).
    await runInDurableObject(deviceHubFor(env, device.deviceId), (_o, state) =>
      state.storage.sql.exec("DELETE FROM meta WHERE key = 'retention'"),
    );
    await runCron(env, Date.now());
    // The cron had the hub sweep its minutes: the hour is below its watermark now.
    expect(await hubMinutes(device.deviceId)).toEqual([]);
    const hub = deviceHubFor(env, device.deviceId);
    expect((await watermarks(hub)).minute).toBeGreaterThan(hour);
    const id = await seriesId(device.deviceId, 'load');
    const before = { series_id: id, count: 3, sum: 30, min: 0, max: 20, last: 20 };
    expect(await hubRollups(device.deviceId, '1h')).toEqual([{ ...before, bucket: hour }]);

    const lateBatch = batch('late', [{ metric: 'load', ts: hour + 45 * MINUTE, value: 100 }]);
    expect((await ingest(device.deviceToken, lateBatch)).status).toBe(200);
    expect(await (await ingest(device.deviceToken, lateBatch)).json()).toMatchObject({ duplicate: true });
    // Alarms run at least once, and the cron goes on asking for sweeps: nothing is added twice.
    await runDurableObjectAlarm(hub);
    await alarmNow(hub);
    await runCron(env, Date.now());
    await runCron(env, Date.now());
    await alarmNow(hub);

    const once = { series_id: id, count: 4, sum: 130, min: 0, max: 100, last: 100 };
    expect(await hubRollups(device.deviceId, '1h')).toEqual([{ ...once, bucket: hour }]);
    expect(await hubRollups(device.deviceId, '1d')).toEqual([{ ...once, bucket: day }]);
    // Not kept as minutes, and its raw samples went with them: nothing left to add again.
    expect(await hubMinutes(device.deviceId)).toEqual([]);
    expect(await hub.stats()).toMatchObject({ dirtyMinutes: 0, minutes: 0, hours: 1, days: 1 });
    const raw = await hub.history(id, hour, hour + HOUR, 100);
    expect(Array.from(raw.ts)).toEqual([]);

    // A later sample in the same minute is added on its own: the first one is not counted again.
    expect(
      (
        await ingest(
          device.deviceToken,
          batch('later', [{ metric: 'load', ts: hour + 45 * MINUTE + 20_000, value: 50 }]),
        )
      ).status,
    ).toBe(200);
    await flush(device.deviceId);
    await alarmNow(hub);
    const twice = { series_id: id, count: 5, sum: 180, min: 0, max: 100, last: 50 };
    expect(await hubRollups(device.deviceId, '1h')).toEqual([{ ...twice, bucket: hour }]);
    expect(await hubRollups(device.deviceId, '1d')).toEqual([{ ...twice, bucket: day }]);
    // The history API reads the hub's hour.
    const res = await api(
      org.apiKey,
      `/v1/history?series=${id}&from=${hour}&to=${hour + HOUR}&step=1h&source=1h&agg=sum`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { series: { points: { ts: number; value: number }[] }[] };
    expect(body.series[0]!.points).toEqual([{ ts: hour, value: 180 }]);
  });

  it('adds late data for a day whose hours were swept to the day once, and drops data older than every level', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'late-days');
    const today = T - (T % DAY);
    const kept = today - 3 * DAY;
    const gone = today - 6 * DAY;
    const base = [
      { metric: 'load', ts: kept + 3 * HOUR, value: 1 },
      { metric: 'load', ts: gone + 3 * HOUR, value: 2 },
    ];
    expect((await ingest(device.deviceToken, batch('base', base))).status).toBe(200);
    await flush(device.deviceId);
    const hub = deviceHubFor(env, device.deviceId);
    expect(await hub.stats()).toMatchObject({ minutes: 2, hours: 2, days: 2 });

    // Minutes and hours kept a day, days five: the alarm sweeps each level, and the finer ones with it.
    await setRetention(org, { rawDays: 1, rollup1mDays: 1, rollup1hDays: 1, rollup1dDays: 5 });
    await forgetRetention(hub);
    await alarmNow(hub);
    const id = await seriesId(device.deviceId, 'load');
    expect(await hub.stats()).toMatchObject({ minutes: 0, hours: 0, days: 1 });
    const marks = await watermarks(hub);
    expect(marks.day).toBe(today - 5 * DAY);
    expect(marks.hour).toBe(today - DAY);
    expect(marks.minute).toBeGreaterThanOrEqual(marks.hour!);

    const late = batch('late', [
      { metric: 'load', ts: kept + 4 * HOUR, value: 10 },
      { metric: 'load', ts: gone + 4 * HOUR, value: 20 },
    ]);
    expect((await ingest(device.deviceToken, late)).status).toBe(200);
    expect(await (await ingest(device.deviceToken, late)).json()).toMatchObject({ duplicate: true });
    await flush(device.deviceId);
    await alarmNow(hub);
    await alarmNow(hub);

    // The kept day gets the late part once; the day older than the day retention gets nothing back.
    expect(await hubRollups(device.deviceId, '1d')).toEqual([
      { series_id: id, bucket: kept, count: 2, sum: 11, min: 1, max: 10, last: 10 },
    ]);
    expect(await hubRollups(device.deviceId, '1h')).toEqual([]);
    expect(await hubMinutes(device.deviceId)).toEqual([]);
    expect(await hub.stats()).toMatchObject({ dirtyMinutes: 0, minutes: 0, hours: 0, days: 1 });
    const res = await api(org.apiKey, `/v1/history?series=${id}&from=${gone}&to=${today}&step=1d&source=1d&agg=sum`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { series: { points: { ts: number; value: number }[] }[] };
    expect(body.series[0]!.points).toEqual([{ ts: kept, value: 11 }]);
  });

  it('reads history and stats with source 1m from the hubs', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'reader');
    const hour = END - 2 * HOUR;
    const samples = [0, 1, 2, 3, 61, 62].map((m, i) => ({ metric: 'load', ts: hour + m * MINUTE + 1_000, value: i }));
    expect((await ingest(device.deviceToken, batch('r', samples))).status).toBe(200);
    await flush(device.deviceId);
    const id = await seriesId(device.deviceId, 'load');
    const from = hour + MINUTE + 30_000;
    const to = hour + 62 * MINUTE;
    const res = await api(org.apiKey, `/v1/history?series=${id}&from=${from}&to=${to}&step=2m&source=1m&agg=sum`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { source: string; series: { points: { ts: number; value: number }[] }[] };
    expect(body.source).toBe('1m');
    // The minute at 1 overlaps `from`; minute 62 starts at `to` and is out.
    expect(body.series[0]!.points).toEqual([
      { ts: hour, value: 1 },
      { ts: hour + 2 * MINUTE, value: 5 },
      { ts: hour + 60 * MINUTE, value: 4 },
    ]);
  });
});

/** Runs a hub's alarm until its adoption of D1's rollups is done and no minute is dirty. */
async function settle(hub: Hub): Promise<number> {
  for (let runs = 0; runs < 20; runs++) {
    const adopting = await runInDurableObject(
      hub,
      (_o, state) => state.storage.sql.exec("SELECT 1 FROM meta WHERE key = 'rollupAdoption'").toArray().length > 0,
    );
    if (!adopting && (await hub.stats()).dirtyMinutes === 0) return runs;
    await alarmNow(hub);
  }
  throw new Error('the hub did not settle in 20 alarm runs');
}

/** Writes rows into D1's rollup tables, as the old flush and cron did: `[bucket, count, sum, min, max, last]`. */
async function putD1Rollups(table: 'rollups_1h' | 'rollups_1d', id: string, rows: number[][]): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO ${table} (sid, bucket, count, sum, min, max, last)
     SELECT s.num, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
     FROM json_each(?) JOIN series s ON s.id = ?`,
  )
    .bind(JSON.stringify(rows), id)
    .run();
}

/** Makes the hub an object from before its rollups lived in it: no rollup tables, counts or watermarks. */
async function asBefore(hub: Hub, outbox: (sql: SqlStorage) => void = () => {}) {
  return runInDurableObject(hub, async (_o, state) => {
    const { createRollupStorage } = await import('../../workers/src/objects/device-hub/minute-store.ts');
    const { watermark } = await import('../../workers/src/objects/device-hub/rollup-store.ts');
    const { getMeta } = await import('../../workers/src/objects/device-hub/store.ts');
    const sql = state.storage.sql;
    sql.exec(`DROP TABLE minute_hours; DROP TABLE hour_days; DROP TABLE day_spans;
      DELETE FROM meta WHERE key LIKE 'minute%' OR key LIKE 'hour%' OR key LIKE 'day%'`);
    outbox(sql);
    createRollupStorage(sql);
    return {
      watermark: watermark(sql, '1m'),
      adoption: getMeta(sql, 'rollupAdoption'),
      dirty: sql.exec<{ minute: number }>('SELECT minute FROM dirty_minutes').toArray(),
    };
  });
}

describe('an object from before rollups lived in the DeviceHub', () => {
  it('rebuilds the current and previous hour from its raw samples, takes its hours and days from D1 once, and adds late data to earlier hours', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'adopted');
    const now = Date.now();
    const current = now - (now % HOUR);
    const samples = [
      { metric: 'load', ts: current - 2 * HOUR, value: 1 },
      { metric: 'load', ts: current - HOUR + 59 * MINUTE, value: 3 },
      { metric: 'load', ts: Math.max(current, now - 5_000), value: 2 },
    ];
    expect((await ingest(device.deviceToken, batch('before', samples))).status).toBe(200);
    await flush(device.deviceId);
    const hub = deviceHubFor(env, device.deviceId);
    const id = await seriesId(device.deviceId, 'load');
    // What D1 held, as the old flush and cron wrote it: the hours, a day rolled up before its
    // last hours came (stale), and an older day whose hours D1 no longer has.
    const old = current - (current % DAY) - 10 * DAY;
    const staleDay = current - 2 * HOUR - ((current - 2 * HOUR) % DAY);
    await putD1Rollups('rollups_1h', id, [
      [current - 2 * HOUR, 1, 1, 1, 1, 1],
      [current - HOUR, 1, 3, 3, 3, 3],
      [current, 1, 2, 2, 2, 2],
    ]);
    await putD1Rollups('rollups_1d', id, [
      [old, 24, 48, 1, 3, 2],
      [staleDay, 1, 1, 1, 1, 1],
    ]);
    const adopted = await asBefore(hub);
    expect(adopted.watermark).toBe(current - HOUR);
    expect(adopted.adoption).toEqual({ level: '1h', after: null });
    expect(adopted.dirty.map((r) => r.minute).sort()).toEqual(
      [samples[1]!.ts, samples[2]!.ts - (samples[2]!.ts % MINUTE)].sort(),
    );
    expect(await settle(hub)).toBeGreaterThan(0);

    const hour = (bucket: number, values: number[]) => ({
      series_id: id,
      bucket,
      count: values.length,
      sum: values.reduce((a, b) => a + b, 0),
      min: Math.min(...values),
      max: Math.max(...values),
      last: values[values.length - 1]!,
    });
    const adoptedHours = [hour(current - 2 * HOUR, [1]), hour(current - HOUR, [3]), hour(current, [2])];
    expect(await hubRollups(device.deviceId, '1h')).toEqual(adoptedHours);
    // Days with hours are rebuilt from them (the stale D1 day is not added to); the older one is D1's.
    expect(await hubRollups(device.deviceId, '1d')).toEqual([
      { series_id: id, bucket: old, count: 24, sum: 48, min: 1, max: 3, last: 2 },
      ...rollUp(adoptedHours, DAY),
    ]);
    const res = await api(
      org.apiKey,
      `/v1/history?series=${id}&from=${old}&to=${old + DAY}&step=1d&source=1d&agg=count`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { series: { points: { ts: number; value: number }[] }[] };
    expect(body.series[0]!.points).toEqual([{ ts: old, value: 24 }]);

    // Late samples: two hours back (added to the hour the hub took from D1, of which it has no
    // minutes), and in the minute before the deploy's hour (rebuilt from raw with the sample it had).
    const late = [
      { metric: 'load', ts: current - 2 * HOUR + 5 * MINUTE, value: 5 },
      { metric: 'load', ts: current - HOUR + 59 * MINUTE + 30_000, value: 4 },
    ];
    expect((await ingest(device.deviceToken, batch('late', late))).status).toBe(200);
    await flush(device.deviceId);
    const hours = [hour(current - 2 * HOUR, [1, 5]), hour(current - HOUR, [3, 4]), hour(current, [2])];
    expect(await hubRollups(device.deviceId, '1h')).toEqual(hours);
    const days = [{ series_id: id, bucket: old, count: 24, sum: 48, min: 1, max: 3, last: 2 }, ...rollUp(hours, DAY)];
    expect(await hubRollups(device.deviceId, '1d')).toEqual(days);
    // D1 is read once: later alarms add nothing of it again.
    await alarmNow(hub);
    await alarmNow(hub);
    expect(await hubRollups(device.deviceId, '1h')).toEqual(hours);
    expect(await hubRollups(device.deviceId, '1d')).toEqual(days);
    expect(await hub.stats()).toMatchObject({ hours: 3, days: days.length });
  });

  // The old flush kept a late part in its outbox (`minute_merges`) until D1 acknowledged it, and
  // D1 skipped a part whose token it had (`rollup_merges`), so a part whose acknowledgement was
  // lost stayed in the outbox though D1's hour had it: adoption must not add it again.
  it("adds what the old flush's merge outbox still held to the hour once, not again when D1 already had it", async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'adopted-outbox');
    const now = Date.now();
    const current = now - (now % HOUR);
    expect(
      (await ingest(device.deviceToken, batch('before', [{ metric: 'load', ts: now - 5_000, value: 2 }]))).status,
    ).toBe(200);
    await flush(device.deviceId);
    const hub = deviceHubFor(env, device.deviceId);
    const id = await seriesId(device.deviceId, 'load');
    // An hour below the old minute watermark: D1 has its 2 samples plus the late part 'scope:1',
    // merged with its token recorded, whose acknowledgement the object never got; part
    // 'scope:2' never reached D1.
    const hour = current - 5 * HOUR;
    await putD1Rollups('rollups_1h', id, [[hour, 3, 6, 1, 3, 3]]);
    await env.DB.prepare('INSERT INTO rollup_merges (token, at) VALUES (?, ?)').bind('scope:1', now).run();
    await asBefore(hub, (sql) => {
      const sid = sql.exec<{ sid: number }>('SELECT sid FROM series').one().sid;
      sql.exec(`CREATE TABLE minute_merges (token TEXT PRIMARY KEY, sid INTEGER NOT NULL, hour INTEGER NOT NULL,
        count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL) WITHOUT ROWID`);
      sql.exec(
        'INSERT INTO minute_merges VALUES (?, ?, ?, 1, 3, 3, 3, 3), (?, ?, ?, 1, 10, 10, 10, 10)',
        'scope:1',
        sid,
        hour,
        'scope:2',
        sid,
        hour,
      );
    });
    await settle(hub);
    await alarmNow(hub);
    expect((await hubRollups(device.deviceId, '1h')).find((h) => h.bucket === hour)).toEqual({
      series_id: id,
      bucket: hour,
      count: 4,
      sum: 16,
      min: 1,
      max: 10,
      last: 10,
    });
    const outbox = await runInDurableObject(hub, (_o, state) =>
      state.storage.sql.exec("SELECT 1 FROM sqlite_schema WHERE name = 'minute_merges'").toArray(),
    );
    expect(outbox).toEqual([]);
  });
});
