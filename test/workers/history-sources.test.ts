import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregations, type Aggregation } from '../../schema/wire/history.ts';
import { ApiError } from '../../workers/src/errors.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import {
  type HistoryPlan,
  type HistoryPlanInput,
  planHistory,
  planStats,
  type Retention,
} from '../../workers/src/services/history/source.ts';
import { autoStep, bucketCount } from '../../workers/src/services/history/step.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { seriesRollups } from './rollup-helpers.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 22, 12);
const DEFAULTS: Retention = { raw: 30, '1m': 90, '1h': 730, '1d': null };
const NOTE = 'no retention covers from: answered from the finest rollup that still holds data for the range';

describe('planHistory (source and step choice)', () => {
  const plan = (q: Partial<HistoryPlanInput> & { from: number }, retention = DEFAULTS): HistoryPlan =>
    planHistory({ to: NOW, source: 'auto', seriesCount: 1, ...q }, retention, NOW);

  it.each<[string, Partial<HistoryPlanInput> & { from: number }, HistoryPlan, Retention?]>([
    ['1 h, no step: raw points as stored', { from: NOW - HOUR }, { step: null, sources: ['raw'] }],
    ['7 h, no step: 1m buckets from the 1m rollup', { from: NOW - 7 * HOUR }, { step: MIN, sources: ['1m'] }],
    ['2 days, no step: 5m buckets from 1m', { from: NOW - 2 * DAY }, { step: 5 * MIN, sources: ['1m'] }],
    ['30 days, no step: 1h buckets from 1h', { from: NOW - 30 * DAY }, { step: HOUR, sources: ['1h'] }],
    ['400 days, step 1d: 1d kept forever', { from: NOW - 400 * DAY, step: DAY }, { step: DAY, sources: ['1d'] }],
    ['100 days, step 1h: 1h covers it', { from: NOW - 100 * DAY, step: HOUR }, { step: HOUR, sources: ['1h'] }],
    ['1 h, step 5m: 1m divides it', { from: NOW - HOUR, step: 5 * MIN }, { step: 5 * MIN, sources: ['1m'] }],
    [
      '1 h, step 90s: no rollup divides it, raw',
      { from: NOW - HOUR, step: 90_000 },
      { step: 90_000, sources: ['raw'] },
    ],
    [
      '40 days ago, step 90s: nothing fits, raw with a note',
      { from: NOW - 40 * DAY, to: NOW - 39 * DAY, step: 90_000 },
      {
        step: 90_000,
        sources: ['raw'],
        note: 'no retention covers from and no rollup fits this step: raw data still held',
      },
    ],
    [
      '95 days ago, step 1m: past 1m retention, falls back to 1m if it still holds data',
      { from: NOW - 95 * DAY, to: NOW - 94 * DAY, step: MIN },
      { step: MIN, sources: ['1m'], note: NOTE },
    ],
    [
      'short retentions, step 1d: finest first',
      { from: NOW - 10 * DAY, to: NOW - 9 * DAY, step: DAY },
      { step: DAY, sources: ['1m', '1h', '1d'], note: NOTE },
      { raw: 1, '1m': 2, '1h': 3, '1d': 4 },
    ],
    [
      'raw retention over, no step, 1 h range: 1m buckets from 1m',
      { from: NOW - 31 * DAY, to: NOW - 31 * DAY + HOUR },
      { step: MIN, sources: ['1m'] },
    ],
    ['explicit 1h, no step: step 1h', { from: NOW - 2 * HOUR, source: '1h' }, { step: HOUR, sources: ['1h'] }],
    ['explicit 1d, 2 h range: step 1d', { from: NOW - 2 * HOUR, source: '1d' }, { step: DAY, sources: ['1d'] }],
    [
      'explicit raw, 2 days, no step: raw points',
      { from: NOW - 2 * DAY, source: 'raw' },
      { step: null, sources: ['raw'] },
    ],
    ['explicit raw, step 1h', { from: NOW - 2 * DAY, source: 'raw', step: HOUR }, { step: HOUR, sources: ['raw'] }],
  ])('%s', (_name, q, expected, retention) => {
    expect(plan(q, retention)).toEqual(expected);
  });

  it.each<[string, Partial<HistoryPlanInput> & { from: number }]>([
    ['a step that is not a multiple of the explicit source', { from: NOW - HOUR, source: '1h', step: 90_000 }],
    ['100 series × 1440 buckets', { from: NOW - DAY, step: MIN, seriesCount: 100 }],
  ])('refuses %s, naming step', (_name, q) => {
    const err = (() => {
      try {
        plan(q);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field).toBe('step');
    expect((err as ApiError).status).toBe(400);
  });

  it('keeps 100 series within the bound with an automatic step', () => {
    expect(plan({ from: NOW - 5 * DAY, seriesCount: 100 })).toEqual({ step: 15 * MIN, sources: ['1m'] });
  });
});

describe('step arithmetic', () => {
  it('counts epoch-aligned buckets touched by a range', () => {
    expect(bucketCount(0, HOUR, MIN)).toBe(60);
    expect(bucketCount(30_000, HOUR + 30_000, MIN)).toBe(61);
  });

  it('picks the smallest standard step giving at most 1,000 buckets', () => {
    expect(autoStep(NOW - 16 * HOUR, NOW, 1)).toBe(MIN);
    expect(autoStep(NOW - 17 * HOUR, NOW, 1)).toBe(5 * MIN);
    expect(autoStep(NOW - 2 * HOUR, NOW, HOUR)).toBe(HOUR);
    expect(autoStep(NOW - 3000 * DAY, NOW, 1)).toBe(4 * DAY);
  });
});

describe('planStats', () => {
  it('uses raw while it covers from, else the finest covering rollup, else all rollups finest first', () => {
    expect(planStats(NOW - DAY, DEFAULTS, NOW)).toEqual({ step: null, sources: ['raw'] });
    expect(planStats(NOW - 31 * DAY, DEFAULTS, NOW)).toEqual({ step: null, sources: ['1m'] });
    expect(planStats(NOW - 91 * DAY, DEFAULTS, NOW)).toEqual({ step: null, sources: ['1h'] });
    expect(planStats(NOW - 10 * DAY, { raw: 1, '1m': 2, '1h': 3, '1d': 4 }, NOW)).toEqual({
      step: null,
      sources: ['1m', '1h', '1d'],
      note: NOTE,
    });
  });
});

describe('GET /v1/history: sources agree', () => {
  let org: TestOrg;
  const ids: string[] = [];
  // Three whole hours, ending at least an hour ago, sampled every 10 s.
  const h0 = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  const samples = [0, 1].map((k) =>
    Array.from({ length: 3 * 360 }, (_, i) => ({ ts: h0 + i * 10_000, value: ((i * (7 + k)) % 23) + k * 0.5 })),
  );

  beforeAll(async () => {
    org = await seedOrg();
    const dev = await enroll(org, 'agree');
    const res = await ingest(
      dev.deviceToken,
      batch('agree-1', [
        ...samples[0]!.map((s) => ({ metric: 'load', ...s })),
        ...samples[1]!.map((s) => ({ metric: 'load', labels: { cpu: '1' }, ...s })),
      ]),
    );
    expect(res.status).toBe(200);
    await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId));
    const latest = (await (await api(org.apiKey, `/v1/devices/${dev.deviceId}/latest`)).json()) as {
      values: { seriesId: string; labels: Record<string, string> }[];
    };
    ids.push(latest.values.find((v) => !v.labels.cpu)!.seriesId, latest.values.find((v) => v.labels.cpu)!.seriesId);
    // The 1h rows, computed here from the samples (independently of the flush, which builds them
    // in the hub from its minutes): the 1h answers below read what the flush stored.
    const hours = ids.flatMap((id, k) =>
      [0, 1, 2].map((h) => {
        const v = samples[k]!.filter((s) => s.ts >= h0 + h * HOUR && s.ts < h0 + (h + 1) * HOUR).map((s) => s.value);
        return {
          series_id: id,
          bucket: h0 + h * HOUR,
          count: v.length,
          sum: sum(v),
          min: Math.min(...v),
          max: Math.max(...v),
          last: v[v.length - 1]!,
        };
      }),
    );
    const stored = [...(await seriesRollups(ids[0]!, '1h')), ...(await seriesRollups(ids[1]!, '1h'))];
    expect(stored).toEqual(hours);
  });

  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const expected = (k: number, agg: Aggregation) =>
    [0, 1, 2].map((h) => {
      const v = samples[k]!.filter((s) => s.ts >= h0 + h * HOUR && s.ts < h0 + (h + 1) * HOUR).map((s) => s.value);
      const value = {
        mean: sum(v) / v.length,
        min: Math.min(...v),
        max: Math.max(...v),
        sum: sum(v),
        count: v.length,
        last: v[v.length - 1]!,
      }[agg];
      return { ts: h0 + h * HOUR, value };
    });

  interface Body {
    source: string;
    step: number | null;
    agg: string | null;
    series: { seriesId: string; points: { ts: number; value: number }[] }[];
  }
  const history = async (query: string) => {
    const res = await api(org.apiKey, `/v1/history?series=${ids.join(',')}&from=${h0}&to=${h0 + 3 * HOUR}&${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Body;
  };

  it.each(aggregations)('gives the same hourly %s from raw, 1m and 1h', async (agg) => {
    for (const source of ['raw', '1m', '1h']) {
      const body = await history(`step=1h&agg=${agg}&source=${source}`);
      expect(body).toMatchObject({ source, step: HOUR, agg });
      expect(body.series.map((s) => s.seriesId)).toEqual(ids);
      for (const [k, s] of body.series.entries()) {
        const want = expected(k, agg);
        expect(s.points.map((p) => p.ts)).toEqual(want.map((p) => p.ts));
        for (const [i, p] of s.points.entries()) expect(p.value).toBeCloseTo(want[i]!.value, 9);
      }
    }
  });

  it.each([
    ['', 'raw', null],
    ['step=1h', '1h', HOUR],
    ['step=5m', '1m', 5 * MIN],
    ['step=90s', 'raw', 90_000],
    ['step=1d', '1d', DAY],
  ])('auto mode with "%s" answers from %s', async (query, source, step) => {
    const body = await history(query);
    expect(body.source).toBe(source);
    expect(body.step).toBe(step);
  });

  it('gives raw points as stored without a step', async () => {
    const body = await history('');
    expect(body.agg).toBeNull();
    expect(body.series[1]!.points).toEqual(samples[1]);
  });

  it('gives 90 s buckets from raw that match a direct computation', async () => {
    const body = await history('step=90000&agg=max');
    const first = samples[0]!.filter((s) => s.ts < Math.floor(h0 / 90_000) * 90_000 + 90_000).map((s) => s.value);
    expect(body.series[0]!.points[0]).toEqual({ ts: Math.floor(h0 / 90_000) * 90_000, value: Math.max(...first) });
    expect(body.series[0]!.points).toHaveLength(bucketCount(h0, h0 + 3 * HOUR, 90_000));
  });
});
