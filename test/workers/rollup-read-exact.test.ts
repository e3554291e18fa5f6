import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { putRollups, seriesRollups } from './rollup-helpers.ts';

/**
 * Hour rollups are stored in the DeviceHub as codec blocks (rollup-store.ts), and travel to the
 * Worker over RPC and out as JSON: every double must come back as the same double.
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
    // The flush first (it builds the hour of h0 from the sample), so no later flush rewrites the fixture.
    await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId));
    // One hour per awkward value: it is the min, max, last and sum of its hour.
    await putRollups(
      '1h',
      AWKWARD.map((v, h) => [seriesId, h0 + h * HOUR, 1, v, v, v, v]),
    );
    // Stored as given: the codec keeps every double.
    expect((await seriesRollups(seriesId, '1h')).map((r) => r.sum)).toEqual(AWKWARD);
  });

  const to = h0 + AWKWARD.length * HOUR;
  const points = async (query: string) => {
    const res = await api(org.apiKey, `/v1/history?series=${seriesId}&from=${h0}&to=${to}&source=1h&${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { series: { points: { ts: number; value: number }[] }[] }).series[0]!.points;
  };

  it.each(['min', 'max', 'last', 'sum', 'mean'])('at the rollup step, agg=%s', async (agg) => {
    expect(await points(`step=1h&agg=${agg}`)).toEqual(AWKWARD.map((v, h) => ({ ts: h0 + h * HOUR, value: v })));
  });

  it('grouped into 2 h steps, in order, each the largest of its hours', async () => {
    // The first 2 h bucket may start an hour before h0.
    const want = [];
    for (let b = h0 - (h0 % (2 * HOUR)); b < to; b += 2 * HOUR) {
      const vs = AWKWARD.filter((_, k) => h0 + k * HOUR >= b && h0 + k * HOUR < b + 2 * HOUR);
      if (vs.length) want.push({ ts: b, value: Math.max(...vs) });
    }
    expect(await points('step=2h&agg=max')).toEqual(want);
  });
});
