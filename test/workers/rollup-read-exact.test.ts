import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

/**
 * Hour rollups travel from D1 as JSON arrays built by SQLite (services/history/rollups.ts), so
 * SQLite's number text is on the path: every double must come back as the same double.
 */
const HOUR = 3_600_000;
const AWKWARD = [
  0.1 + 0.2,
  83.61266666666667,
  5e-324,
  2.2250738585072014e-308,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 63),
  1e21,
  123456789.12345679,
  -0.000001,
  1 / 3,
  0,
];

describe('hour rollups read back exactly', () => {
  let org: TestOrg;
  let seriesId: string;
  const h0 = Math.floor(Date.now() / HOUR) * HOUR - (AWKWARD.length + 2) * HOUR;

  beforeAll(async () => {
    org = await seedOrg();
    const dev = await enroll(org, 'exact');
    const res = await ingest(dev.deviceToken, batch('exact-1', [{ metric: 'exact', ts: h0, value: 1 }]));
    expect(res.status).toBe(200);
    const list = (await (await api(org.apiKey, '/v1/series?metric=exact')).json()) as { series: { id: string }[] };
    seriesId = list.series[0]!.id;
    // One hour per awkward value: it is the min, max, last and sum of its hour.
    const rows = AWKWARD.map((v, h) => [h0 + h * HOUR, 1, v, v, v, v]);
    await env.DB.prepare(
      `INSERT OR REPLACE INTO rollups_1h (sid, bucket, count, sum, min, max, last)
       SELECT s.num, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
       FROM json_each(?) JOIN series s ON s.id = ? AND s.org_id = ?`,
    )
      .bind(JSON.stringify(rows), seriesId, org.orgId)
      .run();
  });

  it.each(['min', 'max', 'last', 'sum', 'mean'])('at the rollup step, agg=%s', async (agg) => {
    const to = h0 + AWKWARD.length * HOUR;
    const res = await api(
      org.apiKey,
      `/v1/history?series=${seriesId}&from=${h0}&to=${to}&step=1h&agg=${agg}&source=1h`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { series: { points: { ts: number; value: number }[] }[] };
    expect(body.series[0]!.points).toEqual(AWKWARD.map((v, h) => ({ ts: h0 + h * HOUR, value: v })));
  });

  it('grouped into 2 h steps, in order, with the values SQLite summed', async () => {
    const to = h0 + AWKWARD.length * HOUR;
    const res = await api(org.apiKey, `/v1/history?series=${seriesId}&from=${h0}&to=${to}&step=2h&agg=max&source=1h`);
    const body = (await res.json()) as { series: { points: { ts: number; value: number }[] }[] };
    // h0 is a whole hour, so the first 2 h bucket may start an hour before it.
    const first = h0 - (h0 % (2 * HOUR));
    const wantAll = [];
    for (let b = first; b < to; b += 2 * HOUR) {
      const vs = AWKWARD.filter((_, k) => h0 + k * HOUR >= b && h0 + k * HOUR < b + 2 * HOUR);
      if (vs.length) wantAll.push({ ts: b, value: Math.max(...vs) });
    }
    expect(body.series[0]!.points).toEqual(wantAll);
  });
});
