import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';

// The default SERIES_PER_DEVICE (wrangler.toml), reached in two batches of the largest size.
const LIMIT = 10_000;
const HALF = LIMIT / 2;

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };
const now = Date.now();

const d1Series = async () =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM series WHERE device_id = ?')
    .bind(device.deviceId)
    .first<{ n: number }>())!.n;

const distinct = (from: number, count: number, ts: number) =>
  Array.from({ length: count }, (_, i) => ({ metric: 'req_total', ts, value: i, labels: { path: `/p${from + i}` } }));

beforeAll(async () => {
  org = await seedOrg();
  device = await enroll(org, 'many-series');
});

describe('series per device', () => {
  it('registers series up to the limit and shows the count on the device', async () => {
    expect((await ingest(device.deviceToken, batch('s-1', distinct(0, HALF, now - 3000)))).status).toBe(200);
    expect((await ingest(device.deviceToken, batch('s-2', distinct(HALF, HALF, now - 3000)))).status).toBe(200);
    await flush(device.deviceId);
    const res = await api(org.apiKey, `/v1/devices/${device.deviceId}`);
    expect(await res.json()).toMatchObject({ series: { count: LIMIT, limit: LIMIT } });
  }, 60_000);

  it('refuses a batch with one series too many as series_limit, naming the limit, and stores nothing of it', async () => {
    const before = await deviceHubFor(env, device.deviceId).stats();
    const body = batch('s-over', [...distinct(0, 3, now - 2000), ...distinct(LIMIT, 1, now - 2000)]);
    const res = await ingest(device.deviceToken, body);
    expect(res.status).toBe(422);
    expect(res.headers.get('retry-after')).toBeNull();
    const { error } = (await res.json()) as { error: { code: string; message: string; field: string } };
    expect(error).toMatchObject({ code: 'series_limit', field: 'samples.3' });
    expect(error.message).toContain(String(LIMIT));
    expect(await deviceHubFor(env, device.deviceId).stats()).toEqual(before);
    expect(await d1Series()).toBe(LIMIT);
  });

  it('still stores batches of series already registered', async () => {
    const res = await ingest(device.deviceToken, batch('s-known', distinct(0, 3, now - 1000)));
    expect(await res.json()).toEqual({ batchId: 's-known', accepted: 3, duplicate: false });
  });
});
