import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg } from './helpers.ts';

const MIN = 60_000;
const t0 = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
// 40 distinct values in a scrambled order, one every 15 s: the latest sample is not the largest.
const values = Array.from({ length: 40 }, (_, i) => ((i * 17) % 40) + 1);
const samples = values.map((value, i) => ({ metric: 'temp', ts: t0 + i * 15_000, value }));

function direct(v: number[]) {
  const sorted = [...v].sort((a, b) => a - b);
  const sum = v.reduce((a, b) => a + b, 0);
  return {
    count: v.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mean: sum / v.length,
    sum,
    last: v[v.length - 1],
    p95: sorted[Math.ceil(0.95 * v.length) - 1],
  };
}

interface Body {
  from: number;
  to: number;
  source: string;
  note?: string;
  stats: ({ seriesId: string } & Record<string, number | null>)[];
}

async function setup(name: string) {
  const org = await seedOrg();
  const dev = await enroll(org, name);
  await ingest(dev.deviceToken, batch('s-1', [...samples, { metric: 'idle', ts: t0 - 3_600_000, value: 1 }]));
  await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId));
  const latest = (await (await api(org.apiKey, `/v1/devices/${dev.deviceId}/latest`)).json()) as {
    values: { seriesId: string; metric: string }[];
  };
  const id = (m: string) => latest.values.find((v) => v.metric === m)!.seriesId;
  return { org, temp: id('temp'), idle: id('idle') };
}

let a: Awaited<ReturnType<typeof setup>>;
let b: Awaited<ReturnType<typeof setup>>;

beforeAll(async () => {
  a = await setup('stats-a');
  b = await setup('stats-b');
});

const window = `from=${t0}&to=${t0 + 10 * MIN}`;

describe('GET /v1/stats', () => {
  it('gives exact raw stats with nearest-rank p95, and count 0 with nulls for a series without data', async () => {
    const res = await api(a.org.apiKey, `/v1/stats?series=${a.temp},${a.idle}&${window}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      from: t0,
      to: t0 + 10 * MIN,
      source: 'raw',
      stats: [
        { seriesId: a.temp, ...direct(values) },
        { seriesId: a.idle, count: 0, min: null, max: null, mean: null, sum: null, last: null, p95: null },
      ],
    });
  });

  it('limits to [from, to)', async () => {
    const body = (await (
      await api(a.org.apiKey, `/v1/stats?series=${a.temp}&from=${t0}&to=${t0 + 5 * MIN}`)
    ).json()) as Body;
    expect(body.stats[0]).toEqual({ seriesId: a.temp, ...direct(values.slice(0, 20)) });
  });

  it('falls back to the finest covering rollup, with p95 null, when raw retention does not cover from', async () => {
    await env.DB.prepare('UPDATE organisations SET raw_retention_days = 0 WHERE id = ?').bind(b.org.orgId).run();
    const res = await api(b.org.apiKey, `/v1/series/${b.temp}/stats?${window}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      from: t0,
      to: t0 + 10 * MIN,
      source: '1m',
      stats: [{ seriesId: b.temp, ...direct(values), p95: null }],
    });
  });

  it('says so when no retention covers from, answering from the finest rollup holding data', async () => {
    await env.DB.prepare(
      'UPDATE organisations SET raw_retention_days = 0, rollup_1m_retention_days = 0, rollup_1h_retention_days = 0, rollup_1d_retention_days = 0 WHERE id = ?',
    )
      .bind(b.org.orgId)
      .run();
    const body = (await (await api(b.org.apiKey, `/v1/stats?series=${b.temp}&${window}`)).json()) as Body;
    expect(body.source).toBe('1m');
    expect(body.note).toBe(
      'no retention covers from: answered from the finest rollup that still holds data for the range',
    );
    expect(body.stats[0]!.count).toBe(40);
  });

  it.each([
    ['', 'series'],
    [`series=${Array.from({ length: 101 }, (_, i) => `s_${i}`).join(',')}`, 'series'],
    ['series=s_1&from=tomorrow', 'from'],
    [`series=s_1&from=${t0}&to=${t0}`, 'from'],
  ])('refuses "%s" naming the field', async (query, field) => {
    const res = await api(a.org.apiKey, `/v1/stats?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
  });

  it("answers 404 for another org's series, on both paths", async () => {
    expect((await api(a.org.apiKey, `/v1/stats?series=${b.temp}`)).status).toBe(404);
    const res = await api(a.org.apiKey, `/v1/series/${b.temp}/stats`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`series "${b.temp}" not found`);
  });
});
