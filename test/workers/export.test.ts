import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

const PER_SERIES = 100_000;
const BATCHES = 40;
const PER_BATCH = PER_SERIES / BATCHES;
// Whole minutes, recent enough for raw retention; one sample per ms per series spans 100 s.
const t0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
const range = `from=${t0}&to=${t0 + PER_SERIES}`;
const PROBE = { probe: 'inlet, "north"' };

let org: TestOrg;
let other: TestOrg;
let deviceId: string;
let otherDeviceId: string;
/** load_avg{} then temp_celsius{probe=…}: the device's series order (metric, labels). */
let load: string;
let temp: string;

const loadValue = (i: number) => i % 1000;
const tempValue = (i: number) => i * 0.5;

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  const dev = await enroll(org, 'exporter');
  deviceId = dev.deviceId;
  const otherDev = await enroll(other, 'elsewhere');
  otherDeviceId = otherDev.deviceId;
  for (let b = 0; b < BATCHES; b++) {
    const samples = [];
    for (let i = b * PER_BATCH; i < (b + 1) * PER_BATCH; i++) {
      samples.push({ metric: 'load_avg', ts: t0 + i, value: loadValue(i) });
      samples.push({ metric: 'temp_celsius', ts: t0 + i, value: tempValue(i), labels: PROBE });
    }
    const res = await ingest(dev.deviceToken, batch(`exp-${b}`, samples));
    expect(res.status).toBe(200);
  }
  await ingest(otherDev.deviceToken, batch('other-1', [{ metric: 'load_avg', ts: t0, value: 1 }]));
  const latest = (await (await api(org.apiKey, `/v1/devices/${deviceId}/latest`)).json()) as {
    values: { seriesId: string; metric: string }[];
  };
  load = latest.values.find((v) => v.metric === 'load_avg')!.seriesId;
  temp = latest.values.find((v) => v.metric === 'temp_celsius')!.seriesId;
  await runDurableObjectAlarm(deviceHubFor(env, deviceId));
}, 180_000);

describe('GET /v1/export (NDJSON)', () => {
  it("streams every raw row of a device's series in (series, ts) order", async () => {
    const res = await api(org.apiKey, `/v1/export?device=${deviceId}&${range}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="edgewatch-export-raw-${stamp(t0)}-${stamp(t0 + PER_SERIES)}.ndjson"`,
    );
    expect(res.headers.get('etag')).toBeNull();
    const text = await res.text();
    expect(text.endsWith('}\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(2 * PER_SERIES);
    const rows = lines.map((l) => JSON.parse(l) as { seriesId: string; ts: number });
    const order = [load, temp];
    for (let i = 1; i < rows.length; i++) {
      const [a, b] = [rows[i - 1]!, rows[i]!];
      const ia = order.indexOf(a.seriesId);
      const ib = order.indexOf(b.seriesId);
      if (!(ia < ib || (ia === ib && a.ts < b.ts))) throw new Error(`rows ${i - 1} and ${i} are out of order`);
    }
    expect(rows[0]).toEqual({ seriesId: load, deviceId, metric: 'load_avg', labels: {}, ts: t0, value: 0 });
    expect(lines.at(-1)).toBe(
      `{"seriesId":"${temp}","deviceId":"${deviceId}","metric":"temp_celsius","labels":{"probe":"inlet, \\"north\\""},"ts":${t0 + PER_SERIES - 1},"value":49999.5}`,
    );
  }, 60_000);

  it('exports 1-minute rollups with their aggregates, bucket as ts', async () => {
    const res = await api(org.apiKey, `/v1/export?device=${deviceId}&${range}&source=1m`);
    expect(res.status).toBe(200);
    const rows = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    const base = { deviceId, metric: 'load_avg', labels: {} };
    const probe = { deviceId, metric: 'temp_celsius', labels: PROBE };
    expect(rows).toEqual([
      { seriesId: load, ...base, ts: t0, count: 60_000, sum: 29_970_000, min: 0, max: 999, last: 999 },
      { seriesId: load, ...base, ts: t0 + 60_000, count: 40_000, sum: 19_980_000, min: 0, max: 999, last: 999 },
      { seriesId: temp, ...probe, ts: t0, count: 60_000, sum: 899_985_000, min: 0, max: 29_999.5, last: 29_999.5 },
      {
        seriesId: temp,
        ...probe,
        ts: t0 + 60_000,
        count: 40_000,
        sum: 1_599_990_000,
        min: 30_000,
        max: 49_999.5,
        last: 49_999.5,
      },
    ]);
  });

  it('narrows a device export to one metric, and answers an empty body when nothing matches', async () => {
    const res = await api(org.apiKey, `/v1/export?device=${deviceId}&metric=temp_celsius&from=${t0}&to=${t0 + 3}`);
    const lines = (await res.text()).split('\n');
    expect(lines.map((l) => (l ? (JSON.parse(l) as { ts: number; value: number }) : l))).toEqual([
      { seriesId: temp, deviceId, metric: 'temp_celsius', labels: PROBE, ts: t0, value: 0 },
      { seriesId: temp, deviceId, metric: 'temp_celsius', labels: PROBE, ts: t0 + 1, value: 0.5 },
      { seriesId: temp, deviceId, metric: 'temp_celsius', labels: PROBE, ts: t0 + 2, value: 1 },
      '',
    ]);
    const none = await api(org.apiKey, `/v1/export?device=${deviceId}&metric=nothing_here&${range}`);
    expect(none.status).toBe(200);
    expect(await none.text()).toBe('');
  });
});

describe('GET /v1/export (CSV)', () => {
  it('writes a header and RFC 4180 rows, series in the order given', async () => {
    const res = await api(org.apiKey, `/v1/export?series=${temp},${load}&${range}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /filename="edgewatch-export-raw-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv"$/,
    );
    const text = await res.text();
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.slice(0, -2).split('\r\n');
    expect(lines).toHaveLength(1 + 2 * PER_SERIES);
    expect(lines[0]).toBe('seriesId,deviceId,metric,labels,ts,value');
    expect(lines[1]).toBe(`${temp},${deviceId},temp_celsius,"{""probe"":""inlet, \\""north\\""""}",${t0},0`);
    expect(lines[PER_SERIES + 1]).toBe(`${load},${deviceId},load_avg,{},${t0},0`);
    expect(lines.at(-1)).toBe(`${load},${deviceId},load_avg,{},${t0 + PER_SERIES - 1},999`);
  }, 60_000);

  it('names the rollup columns in the header', async () => {
    const res = await api(org.apiKey, `/v1/export?series=${load}&${range}&format=csv&source=1m`);
    expect(await res.text()).toBe(
      'seriesId,deviceId,metric,labels,ts,count,sum,min,max,last\r\n' +
        `${load},${deviceId},load_avg,{},${t0},60000,29970000,0,999,999\r\n` +
        `${load},${deviceId},load_avg,{},${t0 + 60_000},40000,19980000,0,999,999\r\n`,
    );
  });
});

describe('GET /v1/export cancellation', () => {
  it('stops fetching pages when the client goes away', async () => {
    const hub = deviceHubFor(env, deviceId);
    // The counter lives in the object's memory: a restart of the object mid-run (a loaded
    // machine) resets it, and that run proves nothing either way, so it is run again.
    let served: { after: number; later: number } | undefined;
    for (let attempt = 0; attempt < 3 && !served; attempt++) {
      const before = (await hub.stats()).exportPagesServed;
      const res = await api(org.apiKey, `/v1/export?device=${deviceId}&${range}`);
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(first.value!.byteLength).toBeGreaterThan(0);
      await reader.cancel();
      await new Promise((r) => setTimeout(r, 500));
      const after = (await hub.stats()).exportPagesServed - before;
      await new Promise((r) => setTimeout(r, 500));
      const later = (await hub.stats()).exportPagesServed - before;
      if (after >= 0 && later >= 0) served = { after, later };
    }
    // A full export is 41 pages (40 full, then an empty last one).
    expect(served!.after).toBeGreaterThanOrEqual(1);
    expect(served!.after).toBeLessThanOrEqual(4);
    expect(served!.later).toBe(served!.after);
  });
});

describe('GET /v1/export validation and access', () => {
  it.each([
    [`device=DEV`, 'from'],
    [`device=DEV&from=yesterday`, 'from'],
    [`device=DEV&from=${t0 + 10}&to=${t0}`, 'from'],
    [`device=DEV&${range}&format=xml`, 'format'],
    [`device=DEV&${range}&source=5m`, 'source'],
    [range, 'series'],
    [`device=DEV&series=SER&${range}`, 'series'],
    [`series=SER&metric=load_avg&${range}`, 'metric'],
    [`device=DEV&metric=bad-name&${range}`, 'metric'],
    [`series=${Array.from({ length: 101 }, (_, i) => `s_${i}`).join(',')}&${range}`, 'series'],
  ])('rejects %s naming %s', async (query, field) => {
    const q = query.replace('DEV', deviceId).replace('SER', load);
    const res = await api(org.apiKey, `/v1/export?${q}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field } });
  });

  it('refuses an unknown parameter', async () => {
    const res = await api(org.apiKey, `/v1/export?device=${deviceId}&${range}&limit=5`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input' } });
  });

  it("answers 404 for another org's series or device, and for an unknown series", async () => {
    const otherSeries = (
      (await (await api(other.apiKey, `/v1/devices/${otherDeviceId}/latest`)).json()) as {
        values: { seriesId: string }[];
      }
    ).values[0]!.seriesId;
    for (const q of [`series=${load},${otherSeries}`, `device=${otherDeviceId}`, 'series=s_000000000000000000000000']) {
      const res = await api(org.apiKey, `/v1/export?${q}&${range}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    expect((await api(other.apiKey, `/v1/export?series=${otherSeries}&${range}`)).status).toBe(200);
  });

  it('answers 401 without credentials and 403 for a key without read', async () => {
    expect((await api('', `/v1/export?device=${deviceId}&${range}`)).status).toBe(401);
    const writeOnly = await seedOrg(['write']);
    const res = await api(writeOnly.apiKey, `/v1/export?device=${deviceId}&${range}`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
  });
});

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d+/g, '');
}
