import { beforeAll, describe, expect, it } from 'vitest';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

interface Body {
  devices: {
    deviceId: string;
    values: { seriesId: string; metric: string; labels: Record<string, string>; ts: number; value: number }[];
  }[];
}

let org: TestOrg;
let devA: string;
let devB: string;
let quiet: string;
let otherDev: string;
const ts = Date.now() - 60_000;

beforeAll(async () => {
  org = await seedOrg();
  const other = await seedOrg();
  const a = await enroll(org, 'alpha');
  const b = await enroll(org, 'bravo');
  const q = await enroll(org, 'quiet');
  const o = await enroll(other, 'other');
  await ingest(
    a.deviceToken,
    batch('a', [
      { metric: 'cpu_usage_percent', ts, value: 10 },
      { metric: 'cpu_usage_percent', ts: ts + 1000, value: 11 },
      { metric: 'cpu_temp_celsius', ts, value: 55, labels: { core: '0' } },
      { metric: 'mem_used_bytes', ts, value: 1024 },
    ]),
  );
  await ingest(b.deviceToken, batch('b', [{ metric: 'cpu_usage_percent', ts, value: 20 }]));
  await ingest(o.deviceToken, batch('o', [{ metric: 'cpu_usage_percent', ts, value: 99 }]));
  [devA, devB, quiet, otherDev] = [a.deviceId, b.deviceId, q.deviceId, o.deviceId];
});

const latest = async (query: string) => {
  const res = await api(org.apiKey, `/v1/latest?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Body;
};
const summary = (b: Body) => b.devices.map((d) => [d.deviceId, d.values.map((v) => `${v.metric}=${v.value}`)]);

describe('GET /v1/latest', () => {
  it('gives the latest values of several devices in the order asked', async () => {
    const body = await latest(`devices=${devB},${devA},${quiet}`);
    expect(summary(body)).toEqual([
      [devB, ['cpu_usage_percent=20']],
      [devA, ['cpu_temp_celsius=55', 'cpu_usage_percent=11', 'mem_used_bytes=1024']],
      [quiet, []],
    ]);
    expect(body.devices[1]!.values[1]).toEqual({
      seriesId: expect.stringMatching(/^s_/),
      metric: 'cpu_usage_percent',
      labels: {},
      ts: ts + 1000,
      value: 11,
    });
  });

  it('filters by exact metric or by prefix', async () => {
    expect(summary(await latest(`devices=${devA},${devB}&metric=cpu_usage_percent`))).toEqual([
      [devA, ['cpu_usage_percent=11']],
      [devB, ['cpu_usage_percent=20']],
    ]);
    expect(summary(await latest(`devices=${devA}&metric=cpu_*`))).toEqual([
      [devA, ['cpu_temp_celsius=55', 'cpu_usage_percent=11']],
    ]);
    expect(summary(await latest(`devices=${devA}&metric=cpu`))).toEqual([[devA, []]]);
  });

  it("answers 404 naming another org's device or an unknown one", async () => {
    for (const id of [otherDev, 'dev_nope']) {
      const res = await api(org.apiKey, `/v1/latest?devices=${devA},${id}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`device "${id}" not found`);
    }
  });

  it.each([
    ['', 'devices'],
    ['devices=', 'devices'],
    [`devices=${Array.from({ length: 101 }, (_, i) => `dev_${i}`).join(',')}`, 'devices'],
    ['devices=dev_a&metric=a*b', 'metric'],
  ])('refuses "%s" naming the field', async (query, field) => {
    const res = await api(org.apiKey, `/v1/latest?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
  });

  it('refuses an unknown parameter and a key without read', async () => {
    const res = await api(org.apiKey, `/v1/latest?devices=${devA}&device=${devA}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Unrecognized key: "device"');
    const writer = await seedOrg(['write']);
    expect((await api(writer.apiKey, `/v1/latest?devices=${devA}`)).status).toBe(403);
  });
});
