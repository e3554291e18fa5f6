import { beforeAll, describe, expect, it } from 'vitest';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

interface Item {
  id: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
  createdAt: number;
}
interface Page {
  series: Item[];
  nextCursor: string | null;
}

let org: TestOrg;
let other: TestOrg;
let devA: string;
let devB: string;
let otherDev: string;
const ts = Date.now() - 60_000;

const samplesFor = (host: string): { metric: string; ts: number; value: number; labels?: Record<string, string> }[] => [
  { metric: 'cpu_usage_percent', ts, value: 1 },
  { metric: 'cpu_temp_celsius', ts, value: 50, labels: { core: '0' } },
  { metric: 'cpu_temp_celsius', ts, value: 51, labels: { core: '1' } },
  { metric: 'disk_used_bytes', ts, value: 5, labels: { mount: '/', host } },
  { metric: 'disk_used_bytes', ts, value: 7, labels: { mount: '/data', host } },
  { metric: 'cpux', ts, value: 2 },
];

const search = async (o: TestOrg, query: string) => {
  const res = await api(o.apiKey, `/v1/series?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
};
const names = (p: Page) => p.series.map((s) => `${s.metric}${JSON.stringify(s.labels)}`);

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  const a = await enroll(org, 'alpha');
  const b = await enroll(org, 'bravo');
  const o = await enroll(other, 'other');
  await ingest(a.deviceToken, batch('a', samplesFor('alpha')));
  await ingest(b.deviceToken, batch('b', samplesFor('bravo')));
  await ingest(o.deviceToken, batch('o', samplesFor('other')));
  [devA, devB, otherDev] = [a.deviceId, b.deviceId, o.deviceId];
});

describe('GET /v1/series', () => {
  it("lists the org's series in (metric, id) order", async () => {
    const page = await search(org, '');
    expect(page.series).toHaveLength(12);
    expect(page.nextCursor).toBeNull();
    const keys = page.series.map((s) => [s.metric, s.id]);
    expect(keys).toEqual([...keys].sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : x[1]! < y[1]! ? -1 : 1)));
    expect(new Set(page.series.map((s) => s.deviceId))).toEqual(new Set([devA, devB]));
    expect(page.series[0]).toEqual({
      id: expect.stringMatching(/^s_[0-9a-f]{24}$/),
      deviceId: expect.any(String),
      metric: 'cpu_temp_celsius',
      labels: { core: expect.stringMatching(/^[01]$/) },
      createdAt: expect.any(Number),
    });
  });

  it('filters by exact metric, by prefix, by device and by labels (all must match)', async () => {
    expect((await search(org, 'metric=cpu_usage_percent')).series.map((s) => s.deviceId).sort()).toEqual(
      [devA, devB].sort(),
    );
    expect(names(await search(org, `metric=cpu_*&device=${devA}`)).sort()).toEqual([
      'cpu_temp_celsius{"core":"0"}',
      'cpu_temp_celsius{"core":"1"}',
      'cpu_usage_percent{}',
    ]);
    expect(names(await search(org, `metric=cpu*&device=${devA}`))).toContain('cpux{}');
    // Within one metric the order follows the (hashed) ids, so compare as sets.
    expect(names(await search(org, 'label=mount=/data')).sort()).toEqual([
      'disk_used_bytes{"mount":"/data","host":"alpha"}',
      'disk_used_bytes{"mount":"/data","host":"bravo"}',
    ]);
    expect(names(await search(org, 'label=mount=/,host=bravo'))).toEqual([
      'disk_used_bytes{"mount":"/","host":"bravo"}',
    ]);
    expect((await search(org, 'label=mount=/,host=nobody')).series).toEqual([]);
    expect((await search(org, 'metric=disk*&label=core=0')).series).toEqual([]);
  });

  it('pages with a cursor over every row exactly once', async () => {
    const all = (await search(org, '')).series.map((s) => s.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await search(org, `limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.series.map((s) => s.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
  });

  it("never shows another org's series", async () => {
    expect((await search(org, `device=${otherDev}`)).series).toEqual([]);
    expect((await search(other, '')).series.every((s) => s.deviceId === otherDev)).toBe(true);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['label=mount', 'label'],
    ['label=1x=2', 'label'],
    ['metric=a*b', 'metric'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
  ])('refuses %s naming the field', async (query, field) => {
    const res = await api(org.apiKey, `/v1/series?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; field: string } }).error).toEqual(
      expect.objectContaining({ code: 'invalid_input', field }),
    );
  });

  it('refuses an unknown parameter, naming it', async () => {
    const res = await api(org.apiKey, '/v1/series?color=red');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Unrecognized key: "color"');
  });
});
