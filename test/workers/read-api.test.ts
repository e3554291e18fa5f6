import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

let orgA: TestOrg;
let orgB: TestOrg;
let devA: { deviceId: string; deviceToken: string };
let devB: { deviceId: string; deviceToken: string };
const t0 = Date.now() - 60_000;

interface Latest {
  deviceId: string;
  values: { seriesId: string; metric: string; labels: Record<string, string>; ts: number; value: number }[];
}

beforeAll(async () => {
  orgA = await seedOrg();
  orgB = await seedOrg();
  devA = await enroll(orgA, 'alpha');
  devB = await enroll(orgB, 'bravo');
  await ingest(
    devA.deviceToken,
    batch('a-1', [
      { metric: 'cpu_usage_percent', ts: t0, value: 10 },
      { metric: 'cpu_usage_percent', ts: t0 + 10_000, value: 20 },
      { metric: 'cpu_usage_percent', ts: t0 + 20_000, value: 30 },
      { metric: 'disk_used_bytes', ts: t0, value: 5, labels: { mount: '/' } },
      { metric: 'disk_used_bytes', ts: t0, value: 7, labels: { mount: '/data' } },
    ]),
  );
  await ingest(devB.deviceToken, batch('b-1', [{ metric: 'cpu_usage_percent', ts: t0, value: 99 }]));
  await runDurableObjectAlarm(deviceHubFor(env, devA.deviceId));
});

const json = async <T>(res: Response) => (await res.json()) as T;

describe('GET /v1/devices', () => {
  it("lists only the caller's devices, with online status once the device has reported", async () => {
    const res = await api(orgA.apiKey, '/v1/devices');
    expect(res.status).toBe(200);
    const { devices, nextCursor } = await json<{
      devices: { id: string; name: string; status: string; lastSeenAt: number }[];
      nextCursor: string | null;
    }>(res);
    expect(devices.map((d) => d.id)).toEqual([devA.deviceId]);
    expect(nextCursor).toBeNull();
    expect(devices[0]).toMatchObject({ name: 'alpha', status: 'online' });
  });

  it('shows a device that never reported as offline', async () => {
    const quiet = await enroll(orgA, 'zulu-quiet');
    const { devices } = await json<{ devices: { id: string; status: string }[] }>(
      await api(orgA.apiKey, '/v1/devices'),
    );
    expect(devices.find((d) => d.id === quiet.deviceId)?.status).toBe('offline');
  });

  it('refuses a request without credentials', async () => {
    const res = await api('', '/v1/devices');
    expect(res.status).toBe(401);
    expect(await json<{ error: { code: string } }>(res)).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it('refuses an unknown API key', async () => {
    expect((await api('ewk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/v1/devices')).status).toBe(401);
  });
});

describe('GET /v1/devices/:id/latest', () => {
  it('returns the latest value of every series from the DeviceHub', async () => {
    const res = await api(orgA.apiKey, `/v1/devices/${devA.deviceId}/latest`);
    expect(res.status).toBe(200);
    const body = await json<Latest>(res);
    const byKey = Object.fromEntries(body.values.map((v) => [`${v.metric}${JSON.stringify(v.labels)}`, v.value]));
    expect(byKey).toEqual({
      'cpu_usage_percent{}': 30,
      'disk_used_bytes{"mount":"/"}': 5,
      'disk_used_bytes{"mount":"/data"}': 7,
    });
  });

  it('keeps the newest value when an older sample arrives late', async () => {
    await ingest(devA.deviceToken, batch('a-late', [{ metric: 'cpu_usage_percent', ts: t0 + 5_000, value: 15 }]));
    const body = await json<Latest>(await api(orgA.apiKey, `/v1/devices/${devA.deviceId}/latest`));
    expect(body.values.find((v) => v.metric === 'cpu_usage_percent')?.value).toBe(30);
  });

  it("answers 404 for another org's device", async () => {
    const res = await api(orgA.apiKey, `/v1/devices/${devB.deviceId}/latest`);
    expect(res.status).toBe(404);
    expect(await json<{ error: { code: string } }>(res)).toMatchObject({ error: { code: 'not_found' } });
    expect((await api(orgA.apiKey, `/v1/devices/${devB.deviceId}`)).status).toBe(404);
  });
});

describe('GET /v1/series/:id/history', () => {
  const cpuSeries = async (org: TestOrg, deviceId: string) =>
    (await json<Latest>(await api(org.apiKey, `/v1/devices/${deviceId}/latest`))).values.find(
      (v) => v.metric === 'cpu_usage_percent',
    )!.seriesId;

  it('returns raw samples in time order within [from, to)', async () => {
    const id = await cpuSeries(orgA, devA.deviceId);
    const res = await api(orgA.apiKey, `/v1/series/${id}/history?from=${t0}&to=${t0 + 20_000}`);
    expect(res.status).toBe(200);
    const body = await json<{ source: string; points: { ts: number; value: number }[] }>(res);
    expect(body.source).toBe('raw');
    expect(body.points).toEqual([
      { ts: t0, value: 10 },
      { ts: t0 + 5_000, value: 15 },
      { ts: t0 + 10_000, value: 20 },
    ]);
  });

  it('accepts ISO times', async () => {
    const id = await cpuSeries(orgA, devA.deviceId);
    const res = await api(
      orgA.apiKey,
      `/v1/series/${id}/history?from=${new Date(t0).toISOString()}&to=${new Date(t0 + 1).toISOString()}`,
    );
    expect((await json<{ points: unknown[] }>(res)).points).toHaveLength(1);
  });

  it.each([
    ['from=yesterday', 'from'],
    [`from=${t0 + 10}&to=${t0}`, 'from'],
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['bogus=1', ''],
  ])('rejects the query %s naming the field', async (query, field) => {
    const id = await cpuSeries(orgA, devA.deviceId);
    const res = await api(orgA.apiKey, `/v1/series/${id}/history?${query}`);
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; field?: string } }>(res);
    expect(body.error.code).toBe('invalid_input');
    if (field) expect(body.error.field).toBe(field);
  });

  it("answers 404 for another org's series", async () => {
    const idB = await cpuSeries(orgB, devB.deviceId);
    expect((await api(orgA.apiKey, `/v1/series/${idB}/history`)).status).toBe(404);
    expect((await api(orgB.apiKey, `/v1/series/${idB}/history?from=${t0}`)).status).toBe(200);
  });
});

describe('scopes', () => {
  it('refuses a read-only key on an admin action', async () => {
    const readOnly = await seedOrg(['read']);
    const dev = await enroll(readOnly, 'ro');
    const res = await api(readOnly.apiKey, `/v1/devices/${dev.deviceId}/revoke`, { method: 'POST' });
    expect(res.status).toBe(403);
    expect(await json<{ error: { code: string } }>(res)).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('errors and headers', () => {
  it('answers an unknown route with a JSON 404 and a request id', async () => {
    const res = await api(orgA.apiKey, '/v1/nope');
    expect(res.status).toBe(404);
    expect(await json<{ error: { code: string } }>(res)).toMatchObject({ error: { code: 'not_found' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,100}$/);
  });

  it('echoes a sane incoming X-Request-Id and sets security headers', async () => {
    const res = await api(orgA.apiKey, '/v1/devices', { headers: { 'x-request-id': 'trace-12345678' } });
    expect(res.headers.get('x-request-id')).toBe('trace-12345678');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});
