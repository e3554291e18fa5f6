import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { storedFor } from './rollup-helpers.ts';

// The start of a minute, with the next minute in the same hour: rollup counts are exact (cpu: two minutes, one hour, one day).
const minute = Math.floor((Date.now() - 600_000) / 60_000) * 60_000;
const ts = minute % 3_600_000 >= 3_480_000 ? minute - 180_000 : minute;
let org: TestOrg;
let other: TestOrg;

/** The device row's figures, as the device's hub last reported them. */
async function reported(deviceId: string) {
  return env.DB.prepare('SELECT series_count, minute_rows, hour_rows, day_rows FROM devices WHERE id = ?')
    .bind(deviceId)
    .first();
}

/** A device with cpu (3 samples over two minutes) and mem (2 samples), rolled up by its hub's alarm. */
async function reportingDevice(name: string) {
  const dev = await enroll(org, name);
  const res = await ingest(
    dev.deviceToken,
    batch(`${name}-1`, [
      { metric: 'cpu_usage_percent', ts, value: 1 },
      { metric: 'cpu_usage_percent', ts: ts + 1_000, value: 2 },
      { metric: 'cpu_usage_percent', ts: ts + 60_000, value: 3 },
      { metric: 'mem_used_bytes', ts, value: 4 },
      { metric: 'mem_used_bytes', ts: ts + 1_000, value: 5 },
    ]),
  );
  expect(res.status).toBe(200);
  await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId));
  const { values } = (await (await api(org.apiKey, `/v1/devices/${dev.deviceId}/latest`)).json()) as {
    values: { seriesId: string; metric: string }[];
  };
  const id = (metric: string) => values.find((v) => v.metric === metric)!.seriesId;
  // Learns their hub-local ids now, so what a delete leaves behind under them is still found
  // (storedFor: the D1 series row and the minute, hour and day rollups in the hub).
  for (const metric of ['cpu_usage_percent', 'mem_used_bytes']) await storedFor(id(metric));
  return { ...dev, cpu: id('cpu_usage_percent'), mem: id('mem_used_bytes') };
}

const del = (key: string, path: string) => api(key, path, { method: 'DELETE' });

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
});

describe('DELETE /v1/devices/:id/data', () => {
  it("deletes the device's series, samples and rollups, keeps the device, and takes new samples", async () => {
    const dev = await reportingDevice('wiped');
    const bystander = await reportingDevice('bystander');
    expect(await storedFor(dev.cpu)).toEqual({ series: 1, minutes: 2, hours: 1, days: 1 });
    // cpu: 2 minutes, 1 hour, 1 day; mem: 1 of each.
    expect(await reported(dev.deviceId)).toEqual({ series_count: 2, minute_rows: 3, hour_rows: 2, day_rows: 2 });

    const res = await del(org.apiKey, `/v1/devices/${dev.deviceId}/data`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deviceId: dev.deviceId, deleted: { series: 2, samples: 5 } });
    expect(await storedFor(dev.cpu)).toEqual({ series: 0, minutes: 0, hours: 0, days: 0 });
    expect(await storedFor(dev.mem)).toEqual({ series: 0, minutes: 0, hours: 0, days: 0 });
    expect(await deviceHubFor(env, dev.deviceId).stats()).toMatchObject({
      samples: 0,
      series: 0,
      dirtyMinutes: 0,
      minutes: 0,
      hours: 0,
      days: 0,
    });
    // The device row's figures follow from the hub's next alarm.
    await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId));
    expect(await reported(dev.deviceId)).toEqual({ series_count: 0, minute_rows: 0, hour_rows: 0, day_rows: 0 });
    const device = await api(org.apiKey, `/v1/devices/${dev.deviceId}`);
    expect(device.status).toBe(200);
    expect(await device.json()).toMatchObject({ id: dev.deviceId, name: 'wiped' });
    expect(await storedFor(bystander.cpu)).toEqual({ series: 1, minutes: 2, hours: 1, days: 1 });

    const again = await ingest(
      dev.deviceToken,
      batch('wiped-2', [{ metric: 'cpu_usage_percent', ts: ts + 120_000, value: 9 }]),
    );
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ batchId: 'wiped-2', accepted: 1, duplicate: false });
    const latest = (await (await api(org.apiKey, `/v1/devices/${dev.deviceId}/latest`)).json()) as {
      values: { seriesId: string; value: number }[];
    };
    expect(latest.values.map((v) => [v.seriesId, v.value])).toEqual([[dev.cpu, 9]]);
    // The series is registered in D1 again, so reads and rollups find it.
    expect(await storedFor(dev.cpu)).toMatchObject({ series: 1 });
  });

  it("answers 404 for another org's device and 403 without admin", async () => {
    const dev = await enroll(org, 'guarded');
    expect((await del(other.apiKey, `/v1/devices/${dev.deviceId}/data`)).status).toBe(404);
    const writer = await seedOrg(['read', 'write']);
    const own = await enroll(writer, 'own');
    expect((await del(writer.apiKey, `/v1/devices/${own.deviceId}/data`)).status).toBe(403);
  });
});

describe('DELETE /v1/series/:id', () => {
  it('deletes one series and leaves the others of the device intact', async () => {
    const dev = await reportingDevice('pruned');
    const res = await del(org.apiKey, `/v1/series/${dev.cpu}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ seriesId: dev.cpu, deleted: { samples: 3 } });
    expect(await storedFor(dev.cpu)).toEqual({ series: 0, minutes: 0, hours: 0, days: 0 });
    expect(await storedFor(dev.mem)).toEqual({ series: 1, minutes: 1, hours: 1, days: 1 });
    expect(await deviceHubFor(env, dev.deviceId).stats()).toMatchObject({
      samples: 2,
      series: 1,
      minutes: 1,
      hours: 1,
      days: 1,
    });
    // The delete asks the hub to report at once: the device row counts mem's rollups only.
    await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId));
    expect(await reported(dev.deviceId)).toEqual({ series_count: 1, minute_rows: 1, hour_rows: 1, day_rows: 1 });
    expect((await api(org.apiKey, `/v1/series/${dev.cpu}/history?from=${ts}`)).status).toBe(404);
    const mem = await api(org.apiKey, `/v1/series/${dev.mem}/history?from=${ts}&to=${ts + 2_000}`);
    expect(((await mem.json()) as { points: unknown[] }).points).toEqual([
      { ts, value: 4 },
      { ts: ts + 1_000, value: 5 },
    ]);
    expect((await del(org.apiKey, `/v1/series/${dev.cpu}`)).status).toBe(404);

    // A later sample of the same metric starts the series afresh, registered in D1 again.
    const again = await ingest(
      dev.deviceToken,
      batch('pruned-2', [{ metric: 'cpu_usage_percent', ts: ts + 120_000, value: 7 }]),
    );
    expect(again.status).toBe(200);
    expect(await storedFor(dev.cpu)).toMatchObject({ series: 1 });
    expect(await deviceHubFor(env, dev.deviceId).stats()).toMatchObject({ samples: 3, series: 2 });
  });

  it("answers 404 for another org's series and 403 without admin", async () => {
    const dev = await reportingDevice('kept');
    expect((await del(other.apiKey, `/v1/series/${dev.cpu}`)).status).toBe(404);
    const readOnly = await seedOrg(['read']);
    expect((await del(readOnly.apiKey, `/v1/series/${dev.cpu}`)).status).toBe(403);
    expect(await storedFor(dev.cpu)).toEqual({ series: 1, minutes: 2, hours: 1, days: 1 });
  });
});
