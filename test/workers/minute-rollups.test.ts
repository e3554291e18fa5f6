import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { statement } from '../../workers/src/db.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { minuteStatements } from '../../workers/src/objects/device-hub/minute-flush.ts';
import { HOUR_OF_KEY_SQL } from '../../workers/src/objects/device-hub/minute-store.ts';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { seriesId } from '../../workers/src/services/ingest/series-key.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { d1Rollups, hubMinutes, seriesNum } from './rollup-helpers.ts';

/** The DeviceHub's 1-minute rollups: hour rows of minute blocks, their retention, and late data merged once. */

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

const hourRows = (deviceId: string) =>
  runInDurableObject(deviceHubFor(env, deviceId), (_o, state) =>
    state.storage.sql
      .exec<{ hour: number }>(`SELECT ${HOUR_OF_KEY_SQL} AS hour FROM minute_hours ORDER BY hour`)
      .toArray(),
  );

describe('DeviceHub minute rows', () => {
  it('keeps one row per series and hour, and merges a later batch of dirty minutes into it', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'merge');
    const hour = END - 5 * HOUR;
    const first = [0, 1, 2].map((m) => ({ metric: 'load', ts: hour + m * MINUTE + 5_000, value: m }));
    expect((await ingest(device.deviceToken, batch('a', first))).status).toBe(200);
    await flush(device.deviceId);
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
    // D1's hour is the absolute total of the hub's minutes.
    expect(await d1Rollups('rollups_1h', 's.device_id = ?', device.deviceId)).toEqual([
      { series_id: id, bucket: hour, count: 5, sum: 9, min: -4, max: 10, last: -4 },
    ]);
    expect((await deviceHubFor(env, device.deviceId).stats()).minutes).toBe(4);
    const reported = await env.DB.prepare('SELECT minute_rows, minutes_from FROM devices WHERE id = ?')
      .bind(device.deviceId)
      .first();
    expect(reported).toEqual({ minute_rows: 4, minutes_from: hour });
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
    expect((await ingest(device.deviceToken, batch('late', [{ metric: 'temp_c', ts: late, value: 0 }]))).status).toBe(
      200,
    );
    const hub = deviceHubFor(env, device.deviceId);
    // The retention setting is cached for an hour: let this run read it again.
    await runInDurableObject(hub, (_o, state) =>
      state.storage.sql.exec("DELETE FROM meta WHERE key = 'minuteRetention'"),
    );
    await runDurableObjectAlarm(hub);
    const cutoff = END - 4 * DAY;
    const left = (await hourRows(device.deviceId)).map((r) => r.hour);
    expect(left.filter((h) => h < late - (late % HOUR))).toEqual([]);
    expect(left).toContain(late - (late % HOUR));
    // Flushed in that run (the minute joined its hour): the next run sweeps it with the rest.
    await runDurableObjectAlarm(hub);
    const after = (await hourRows(device.deviceId)).map((r) => r.hour);
    expect(after.every((h) => h >= cutoff)).toBe(true);
    expect(after).toHaveLength(4);
    expect((await hub.stats()).minutes).toBe(4);
    // The hours in D1 keep every sample, the late one included.
    const hours = await d1Rollups('rollups_1h', 's.device_id = ?', device.deviceId);
    expect(hours.reduce((n, h) => n + h.count, 0)).toBe(11);
  });

  it('merges late data below the minute watermark into D1 exactly once, even when its batch is sent twice', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'late');
    const hour = END - 30 * DAY;
    const minutes = [0, 10, 20].map((m) => ({ metric: 'load', ts: hour + m * MINUTE, value: m }));
    expect((await ingest(device.deviceToken, batch('base', minutes))).status).toBe(200);
    await flush(device.deviceId);
    await setRetention(org, { rawDays: 10, rollup1mDays: 20 });
    await runCron(env, Date.now());
    // The cron had the hub sweep its minutes: the hour is below its watermark now.
    expect(await hubMinutes(device.deviceId)).toEqual([]);
    const hub = deviceHubFor(env, device.deviceId);
    const id = await seriesId(device.deviceId, 'load');
    const num = await seriesNum(id);

    expect(
      (await ingest(device.deviceToken, batch('late', [{ metric: 'load', ts: hour + 45 * MINUTE, value: 100 }])))
        .status,
    ).toBe(200);
    // A flush whose D1 write is lost after the commit: the outbox (and its token) survives, as after a crash.
    const sent = await runInDurableObject(hub, async (_o, state) => {
      const { pendingRollups } = await import('../../workers/src/objects/device-hub/flush.ts');
      const { planMinuteFlush } = await import('../../workers/src/objects/device-hub/minute-flush.ts');
      const rows = pendingRollups(state.storage.sql, 100);
      const plan = state.storage.transactionSync(() =>
        planMinuteFlush(state.storage.sql, rows, new Map([[rows[0]!.sid, num]])),
      );
      return plan;
    });
    expect(sent.merges).toHaveLength(1);
    const statements = minuteStatements(org.orgId, sent, Date.now()).map((q) => statement(env.DB, q));
    await env.DB.batch(statements);
    // Run twice with the same token: the second adds nothing.
    await env.DB.batch(minuteStatements(org.orgId, sent, Date.now()).map((q) => statement(env.DB, q)));
    // And the alarm re-sends the outbox it still holds: nothing more either.
    await runDurableObjectAlarm(hub);
    await runDurableObjectAlarm(hub);
    await runCron(env, Date.now());
    await runCron(env, Date.now());

    expect(await d1Rollups('rollups_1h', 's.id = ?', id)).toEqual([
      { series_id: id, bucket: hour, count: 4, sum: 130, min: 0, max: 100, last: 100 },
    ]);
    const day = hour - (hour % DAY);
    expect((await d1Rollups('rollups_1d', 's.id = ? AND r.bucket = ?', id, day))[0]).toMatchObject({
      count: 4,
      max: 100,
    });
    // Not kept as minutes, and the outbox is empty.
    expect(await hubMinutes(device.deviceId)).toEqual([]);
    const outbox = await runInDurableObject(
      hub,
      (_o, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM minute_merges').one().n,
    );
    expect(outbox).toBe(0);
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

describe('an object from before minutes lived in the DeviceHub', () => {
  it('merges late data for earlier hours and rebuilds the current and previous hour from its raw samples', async () => {
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
    // As the object was before migration 0010: no minute rows, no watermark, its minutes in D1 only.
    const adopted = await runInDurableObject(hub, async (_o, state) => {
      const { createMinuteTables, minuteWatermark } =
        await import('../../workers/src/objects/device-hub/minute-store.ts');
      const sql = state.storage.sql;
      sql.exec(
        "DROP TABLE minute_hours; DROP TABLE IF EXISTS minute_merges; DELETE FROM meta WHERE key LIKE 'minute%'",
      );
      createMinuteTables(sql);
      return {
        watermark: minuteWatermark(sql),
        dirty: sql.exec<{ minute: number }>('SELECT minute FROM dirty_minutes').toArray(),
      };
    });
    expect(adopted.watermark).toBe(current - HOUR);
    expect(adopted.dirty.map((r) => r.minute).sort()).toEqual(
      [samples[1]!.ts, samples[2]!.ts - (samples[2]!.ts % MINUTE)].sort(),
    );
    await flush(device.deviceId);
    // Late samples: two hours back (merged into D1's hour, of which the hub has no minutes), and
    // in the minute before the deploy's hour (rebuilt from raw with the sample it had).
    const late = [
      { metric: 'load', ts: current - 2 * HOUR + 5 * MINUTE, value: 5 },
      { metric: 'load', ts: current - HOUR + 59 * MINUTE + 30_000, value: 4 },
    ];
    expect((await ingest(device.deviceToken, batch('late', late))).status).toBe(200);
    await flush(device.deviceId);
    const id = await seriesId(device.deviceId, 'load');
    expect(await d1Rollups('rollups_1h', 's.id = ?', id)).toEqual([
      { series_id: id, bucket: current - 2 * HOUR, count: 2, sum: 6, min: 1, max: 5, last: 5 },
      { series_id: id, bucket: current - HOUR, count: 2, sum: 7, min: 3, max: 4, last: 4 },
      { series_id: id, bucket: current, count: 1, sum: 2, min: 2, max: 2, last: 2 },
    ]);
  });
});
