import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

const MIN = 60_000;
let org: TestOrg;
let other: TestOrg;
let idA: string;
let idB: string;
let idOther: string;
// Ten minutes of samples every 30 s, starting on a 10-minute boundary 20 to 30 minutes ago.
const t0 = Math.floor(Date.now() / (10 * MIN)) * 10 * MIN - 20 * MIN;
const valuesA = Array.from({ length: 20 }, (_, i) => i);
const valuesB = Array.from({ length: 20 }, (_, i) => 100 - i * 2);

interface Body {
  step: number | null;
  agg: string | null;
  source: string;
  series: { seriesId: string; deviceId: string; metric: string; points: { ts: number; value: number }[] }[];
}

async function cpuSeries(o: TestOrg, deviceId: string): Promise<string> {
  const body = (await (await api(o.apiKey, `/v1/devices/${deviceId}/latest`)).json()) as {
    values: { seriesId: string }[];
  };
  return body.values[0]!.seriesId;
}

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  const devA = await enroll(org, 'alpha');
  const devB = await enroll(org, 'bravo');
  const devO = await enroll(other, 'other');
  for (const [dev, values] of [
    [devA, valuesA],
    [devB, valuesB],
    [devO, valuesA],
  ] as const) {
    await ingest(
      dev.deviceToken,
      batch(
        'h-1',
        values.map((value, i) => ({ metric: 'cpu_usage_percent', ts: t0 + i * 30_000, value })),
      ),
    );
    await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId));
  }
  idA = await cpuSeries(org, devA.deviceId);
  idB = await cpuSeries(org, devB.deviceId);
  idOther = await cpuSeries(other, devO.deviceId);
});

const range = () => `from=${t0}&to=${t0 + 10 * MIN}`;

describe('GET /v1/history', () => {
  it('answers series of two devices in the order asked, from the 1m rollup in auto mode', async () => {
    const res = await api(org.apiKey, `/v1/history?series=${idB},${idA}&${range()}&step=5m&agg=max`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body).toMatchObject({ step: 5 * MIN, agg: 'max', source: '1m' });
    expect(body.series.map((s) => s.seriesId)).toEqual([idB, idA]);
    expect(body.series[1]!.points).toEqual([
      { ts: t0, value: 9 },
      { ts: t0 + 5 * MIN, value: 19 },
    ]);
    expect(body.series[0]!.points).toEqual([
      { ts: t0, value: 100 },
      { ts: t0 + 5 * MIN, value: 80 },
    ]);
  });

  it('gives the same buckets from raw samples on each device', async () => {
    const res = await api(org.apiKey, `/v1/history?series=${idA},${idB}&${range()}&step=300000&agg=sum&source=raw`);
    const body = (await res.json()) as Body;
    expect(body.source).toBe('raw');
    expect(body.series.map((s) => s.points.map((p) => p.value))).toEqual([
      [45, 145],
      [910, 710],
    ]);
  });

  it('gives raw points as stored without a step', async () => {
    const body = (await (await api(org.apiKey, `/v1/history?series=${idA}&${range()}`)).json()) as Body;
    expect(body).toMatchObject({ step: null, agg: null, source: 'raw' });
    expect(body.series[0]!.points).toEqual(valuesA.map((value, i) => ({ ts: t0 + i * 30_000, value })));
  });

  it.each([
    ['step=7q', 'step'],
    ['step=500', 'step'],
    [`from=${t0 + MIN}&to=${t0}`, 'from'],
    ['agg=median', 'agg'],
    ['source=5m', 'source'],
    [`from=${t0 - 30 * 86_400_000}&to=${t0}&step=1s`, 'step'],
    ['step=90s&source=1m', 'step'],
    ['limit=0', 'limit'],
  ])('refuses %s naming the field', async (query, field) => {
    const res = await api(org.apiKey, `/v1/history?series=${idA}&${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({
      code: 'invalid_input',
      field,
    });
  });

  it('refuses an unknown parameter and a missing or oversized series list', async () => {
    const unknown = await api(org.apiKey, `/v1/history?series=${idA}&bogus=1`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('Unrecognized key: "bogus"');
    const none = await api(org.apiKey, '/v1/history');
    expect(((await none.json()) as { error: { field: string } }).error.field).toBe('series');
    const many = Array.from({ length: 101 }, (_, i) => `s_${i}`).join(',');
    const tooMany = await api(org.apiKey, `/v1/history?series=${many}`);
    expect(((await tooMany.json()) as { error: { field: string } }).error.field).toBe('series');
  });

  it("answers 404 naming another org's series, as for a missing one", async () => {
    for (const id of [idOther, 's_000000000000000000000000']) {
      const res = await api(org.apiKey, `/v1/history?series=${idA},${id}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`series "${id}" not found`);
    }
  });

  it('needs the read scope', async () => {
    const writer = await seedOrg(['write']);
    expect((await api(writer.apiKey, `/v1/history?series=${idA}`)).status).toBe(403);
    expect((await api(writer.apiKey, `/v1/series/${idA}/history`)).status).toBe(403);
  });
});

describe('GET /v1/series/:id/history with a step', () => {
  it('answers the single-series shape with step, agg and source', async () => {
    const res = await api(org.apiKey, `/v1/series/${idA}/history?${range()}&step=1m&agg=count`);
    expect(await res.json()).toEqual({
      seriesId: idA,
      deviceId: expect.stringMatching(/^dev_/),
      metric: 'cpu_usage_percent',
      labels: {},
      from: t0,
      to: t0 + 10 * MIN,
      step: MIN,
      agg: 'count',
      source: '1m',
      points: Array.from({ length: 10 }, (_, i) => ({ ts: t0 + i * MIN, value: 2 })),
    });
  });
});
