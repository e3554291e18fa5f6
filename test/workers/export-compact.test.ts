import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

// More than two export pages (5,000 rows each) per series, so a series spans page boundaries.
const PER_SERIES = 12_000;
const PER_BATCH = 2_000;
const t0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
const range = `from=${t0}&to=${t0 + PER_SERIES * 10}`;
const PROBE = { probe: 'inlet, "north"' };

let org: TestOrg;
let deviceId: string;

beforeAll(async () => {
  org = await seedOrg();
  const dev = await enroll(org, 'compact');
  deviceId = dev.deviceId;
  for (let b = 0; b < PER_SERIES / PER_BATCH; b++) {
    const samples = [];
    for (let i = b * PER_BATCH; i < (b + 1) * PER_BATCH; i++) {
      samples.push({ metric: 'load_avg', ts: t0 + i * 10, value: (i % 97) / 4 });
      samples.push({ metric: 'temp_celsius', ts: t0 + i * 10, value: -i * 1e-3, labels: PROBE });
    }
    expect((await ingest(dev.deviceToken, batch(`cmp-${b}`, samples))).status).toBe(200);
  }
  await runDurableObjectAlarm(deviceHubFor(env, deviceId));
}, 120_000);

type Line = Record<string, unknown> | number[];

/** Expands a compact body into full rows: each array row gets the fields of the header above it. */
function expand(text: string, columns: readonly string[]): Record<string, unknown>[] {
  let header: Record<string, unknown> | undefined;
  const rows: Record<string, unknown>[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const parsed = JSON.parse(line) as Line;
    if (!Array.isArray(parsed)) {
      header = parsed;
      continue;
    }
    expect(parsed).toHaveLength(columns.length);
    rows.push({ ...header!, ...Object.fromEntries(columns.map((c, i) => [c, parsed[i]])) });
  }
  return rows;
}

async function body(query: string): Promise<string> {
  const res = await api(org.apiKey, `/v1/export?device=${deviceId}&${range}${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-ndjson');
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  return text;
}

const parseLines = (text: string) =>
  text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('GET /v1/export?rows=compact', () => {
  it('gives each series one header line, then [ts,value] rows that expand to the full form', async () => {
    const full = parseLines(await body(''));
    const compact = await body('&rows=compact');
    expect(full).toHaveLength(2 * PER_SERIES);
    const headers = compact
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(headers).toEqual([
      { seriesId: full[0]!.seriesId, deviceId, metric: 'load_avg', labels: {} },
      { seriesId: full.at(-1)!.seriesId, deviceId, metric: 'temp_celsius', labels: PROBE },
    ]);
    expect(compact.split('\n')[1]).toBe(`[${t0},0]`);
    expect(expand(compact, ['ts', 'value'])).toEqual(full);
  }, 60_000);

  it('expands rollup rows [ts,count,sum,min,max,last] to the full form', async () => {
    const full = parseLines(await body('&source=1m'));
    expect(full.length).toBeGreaterThan(0);
    const compact = await body('&source=1m&rows=compact');
    expect(expand(compact, ['ts', 'count', 'sum', 'min', 'max', 'last'])).toEqual(full);
  }, 60_000);

  it('refuses compact rows with CSV, naming the field', async () => {
    const res = await api(org.apiKey, `/v1/export?device=${deviceId}&${range}&format=csv&rows=compact`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field: 'rows' } });
  });

  it('refuses an unknown row form', async () => {
    const res = await api(org.apiKey, `/v1/export?device=${deviceId}&${range}&rows=tiny`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'rows' } });
  });
});
