import { runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportPage } from '../../workers/src/objects/device-hub/export.ts';
import { aggregateRaw, rawStats } from '../../workers/src/objects/device-hub/query.ts';
import { SEAL_CHUNK } from '../../workers/src/objects/device-hub/seal.ts';
import { rawHistory } from '../../workers/src/objects/device-hub/store.ts';
import { previewRule } from '../../workers/src/objects/device-hub/alert-preview.ts';
import type { Aggregation } from '../../schema/wire/history.ts';
import { api, batch, enroll, flush, ingest, seedOrg } from './helpers.ts';
import { hubMinutes, hubRollups } from './rollup-helpers.ts';
import {
  allOf,
  alarmNow,
  blockRows,
  DAY,
  deviceHubFor,
  env,
  expectBlocksWellFormed,
  insertHeadRows,
  MINUTE,
  registerSeries,
  sealAll,
  valueOf,
  type Hub,
} from './raw-blocks-helpers.ts';

const T = Date.now();
const END = T - 10 * MINUTE;
const START = END - 2 * DAY;
const AGGS: Aggregation[] = ['mean', 'min', 'max', 'sum', 'count', 'last'];

/** Every query the hub answers from raw data, computed in one synchronous pass over its SQLite. */
function answers(sql: SqlStorage, ids: string[]) {
  const ranges: [number, number][] = [
    [START - DAY, T],
    [START + 3 * 3_600_000 + 1_234, END - 5 * 3_600_000 - 77],
    [END - 7 * MINUTE, END],
  ];
  const steps = [60_000, 300_000, 3_600_000, DAY];
  const out: Record<string, unknown> = {};
  for (const [from, to] of ranges) {
    out[`history ${from}`] = ids.map((id) => rawHistory(sql, id, from, to, 100_000));
    out[`history limited ${from}`] = ids.map((id) => rawHistory(sql, id, from, to, 777));
    out[`stats ${from}`] = rawStats(sql, [...ids, 'unknown'], from, to);
    for (const step of steps)
      for (const agg of AGGS) out[`agg ${from} ${step} ${agg}`] = aggregateRaw(sql, ids, from, to, step, agg);
    const pages = [];
    let after = null;
    do {
      const page = exportPage(sql, ids, from, to, after, 9_999);
      pages.push(page.blocks);
      after = page.next;
    } while (after);
    out[`export ${from}`] = pages;
  }
  out.preview = previewRule(sql, {
    rule: {
      metric: 'm',
      matchers: [],
      condition: {
        kind: 'threshold',
        op: '>',
        warning: { value: 70, clear: 65 },
        critical: { value: 80 },
        aggregation: { fn: 'mean', windowMs: 5 * MINUTE },
      },
      forMs: 2 * MINUTE,
      keepFiringForMs: 0,
    },
    from: START + DAY,
    to: END,
    maxSamples: 50_000,
  });
  return out;
}

describe('raw samples sealed into blocks', () => {
  let hub: Hub;
  let series: { seriesId: string; sid: number }[];
  let deviceToken: string;
  let deviceId: string;
  let apiKey: string;
  let before: Record<string, unknown>;
  let expected: Map<number, Map<number, number>>;
  let sealRuns: number;
  let lateBatch: ReturnType<typeof batch>;

  beforeAll(async () => {
    const org = await seedOrg();
    apiKey = org.apiKey;
    ({ deviceId, deviceToken } = await enroll(org, 'blocks'));
    hub = deviceHubFor(env, deviceId);
    series = await registerSeries(hub, deviceToken, 3, START - DAY);
    await flush(deviceId);
    // Two days per series at irregular 9-11 s intervals, as rows (sealing has not happened yet).
    const rows: [number, number, number][] = [];
    expected = new Map(series.map((s, k) => [s.sid, new Map([[START - DAY, k]])]));
    for (const [k, s] of series.entries()) {
      for (let i = 0, ts = START; ts < END; i++, ts += 9_000 + ((i * 7919) % 2_001)) {
        rows.push([s.sid, ts, valueOf(k, i)]);
        expected.get(s.sid)!.set(ts, valueOf(k, i));
      }
    }
    // Written and read in one synchronous callback: no alarm can seal in between.
    before = await runInDurableObject(hub, (_o, state) => {
      insertHeadRows(state.storage.sql, rows);
      return answers(
        state.storage.sql,
        series.map((s) => s.seriesId),
      );
    });
    sealRuns = await sealAll(hub);
  });

  it('seals every old head sample, in chunks of at most SEAL_CHUNK per alarm run', async () => {
    const stats = await hub.stats();
    const total = [...expected.values()].reduce((n, m) => n + m.size, 0);
    expect(total).toBeGreaterThan(SEAL_CHUNK * 2);
    expect(sealRuns).toBeGreaterThanOrEqual(Math.ceil(total / SEAL_CHUNK));
    expect(stats).toMatchObject({ samples: total, headSamples: 0 });
    expect(stats.blocks).toBeGreaterThanOrEqual(series.length * 3);
    for (const s of series) await expectBlocksWellFormed(hub, s.sid);
  });

  it('answers history, stats (p95), aggregates, export and alert previews exactly as before sealing', async () => {
    const after = await runInDurableObject(hub, (_o, state) =>
      answers(
        state.storage.sql,
        series.map((s) => s.seriesId),
      ),
    );
    expect(Object.keys(after)).toEqual(Object.keys(before));
    // The comparison is of real answers: the preview fires, the first range holds every sample.
    expect((before.preview as { transitions: unknown[] }).transitions.length).toBeGreaterThan(2);
    expect((before[`stats ${START - DAY}`] as { count: number }[]).map((x) => x.count)).toEqual([
      ...series.map((s) => expected.get(s.sid)!.size),
      0,
    ]);
    for (const key of Object.keys(before)) {
      // A bucket that holds a whole block takes the block's summary (one compensated sum per
      // block), so sums and means may differ in the last bits from summing the head's samples in
      // order; 1,960-byte blocks fit inside hour buckets too (seen on 0079d1c: 36.663591549295774
      // against 36.66359154929578 for an hourly mean).
      if (/ (sum|mean)$/.test(key)) {
        const a = after[key] as { points: { ts: number; value: number }[] }[];
        const b = before[key] as { points: { ts: number; value: number }[] }[];
        expect(a.map((s) => s.points.map((p) => p.ts))).toEqual(b.map((s) => s.points.map((p) => p.ts)));
        a.forEach((s, i) => s.points.forEach((p, j) => expect(p.value).toBeCloseTo(b[i]!.points[j]!.value, 6)));
      } else {
        expect({ key, value: after[key] }).toEqual({ key, value: before[key] });
      }
    }
  });

  it('serves the same raw history through the API', async () => {
    const s = series[1]!;
    const from = START + 3_600_000;
    const res = await api(apiKey, `/v1/history?series=${s.seriesId}&from=${from}&to=${from + 3_600_000}&source=raw`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { series: { points: { ts: number; value: number }[] }[] };
    const want = [...expected.get(s.sid)!]
      .filter(([ts]) => ts >= from && ts < from + 3_600_000)
      .sort((a, b) => a[0] - b[0])
      .map(([ts, value]) => ({ ts, value }));
    expect(want.length).toBeGreaterThan(300);
    expect(body.series[0]!.points).toEqual(want);
  });

  it('keeps the newest value of a re-sent sample and moves a late minute back to the head for its rollup', async () => {
    const s = series[0]!;
    const minute = START + 6 * 3_600_000 - ((START + 6 * 3_600_000) % MINUTE);
    const inMinute = [...expected.get(s.sid)!.keys()].filter((ts) => ts >= minute && ts < minute + MINUTE);
    expect(inMinute.length).toBeGreaterThanOrEqual(4);
    const resent = inMinute[1]!;
    const late = inMinute[2]! + 1;
    lateBatch = batch('late-1', [
      { metric: 'm', labels: { k: '0' }, ts: resent, value: -5.5 },
      { metric: 'm', labels: { k: '0' }, ts: late, value: 99.25 },
    ]);
    const res = await ingest(deviceToken, lateBatch);
    expect(res.status).toBe(200);
    expected.get(s.sid)!.set(resent, -5.5);
    expected.get(s.sid)!.set(late, 99.25);
    // Before the flush: every sample of the dirty minute is in the head, none in a block.
    const placed = await runInDurableObject(hub, (_o, state) => ({
      head: state.storage.sql
        .exec<{ ts: number }>('SELECT ts FROM samples WHERE sid = ? ORDER BY ts', s.sid)
        .toArray()
        .map((r) => r.ts),
      blocks: state.storage.sql
        .exec<{ n: number }>(
          'SELECT COUNT(*) AS n FROM blocks WHERE sid = ? AND first_ts < ? AND last_ts >= ?',
          s.sid,
          minute + MINUTE,
          minute,
        )
        .one().n,
    }));
    const minuteTs = [...inMinute, late].sort((a, b) => a - b);
    expect(placed.head).toEqual(minuteTs);
    // The minute may sit in a gap inside a block's span; no block holds one of its samples.
    const sealedInMinute = (await allOf(hub, s.sid)).filter(([ts]) => ts >= minute && ts < minute + MINUTE);
    expect(sealedInMinute).toEqual(minuteTs.map((ts) => [ts, expected.get(s.sid)!.get(ts)]));
    expect(placed.blocks).toBeLessThanOrEqual(2);

    await flush(deviceId);
    const values = minuteTs.map((ts) => expected.get(s.sid)!.get(ts)!);
    // 1-minute rollups live in the DeviceHub.
    const row = (await hubMinutes(deviceId)).find((r) => r.series_id === s.seriesId && r.bucket === minute);
    expect(row).toMatchObject({
      count: values.length,
      min: Math.min(...values),
      max: Math.max(...values),
      last: values.at(-1),
    });
    expect(row!.sum).toBeCloseTo(
      values.reduce((a, b) => a + b, 0),
      9,
    );
    // Its hour and day are rebuilt from the minutes the hub holds (here only those flushed: the rest came in as rows).
    const hour = minute - (minute % 3_600_000);
    const held = (await hubMinutes(deviceId)).filter(
      (r) => r.series_id === s.seriesId && r.bucket >= hour && r.bucket < hour + 3_600_000,
    );
    expect(held.map((r) => r.bucket)).toContain(minute);
    const hourRow = (await hubRollups(deviceId, '1h')).find((r) => r.series_id === s.seriesId && r.bucket === hour);
    expect(hourRow).toMatchObject({
      count: held.reduce((n, r) => n + r.count, 0),
      min: Math.min(...held.map((r) => r.min)),
      max: Math.max(...held.map((r) => r.max)),
      last: held.at(-1)!.last,
    });

    await sealAll(hub);
    expect((await hub.stats()).headSamples).toBe(0);
    await expectBlocksWellFormed(hub, s.sid);
    expect(await allOf(hub, s.sid)).toEqual([...expected.get(s.sid)!].sort((a, b) => a[0] - b[0]));
  });

  it('answers a re-sent batch id as a duplicate after sealing, storing nothing again', async () => {
    const s = series[0]!;
    const samplesBefore = (await hub.stats()).samples;
    const again = await ingest(deviceToken, lateBatch);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ batchId: 'late-1', accepted: 0, duplicate: true });
    // The same id with other samples is refused whole.
    const other = await ingest(
      deviceToken,
      batch('late-1', [{ metric: 'm', labels: { k: '0' }, ts: START, value: 1 }]),
    );
    expect(other.status).toBe(409);
    expect((await hub.stats()).samples).toBe(samplesBefore);
    expect((await hub.stats()).dirtyMinutes).toBe(0);
    expect(await allOf(hub, s.sid)).toEqual([...expected.get(s.sid)!].sort((a, b) => a[0] - b[0]));
  });

  it('removes a deleted series’ blocks and rollups and reports its samples', async () => {
    const s = series[2]!;
    expect((await blockRows(hub, s.sid)).length).toBeGreaterThan(0);
    const rollupsOf = async () => {
      const out: Record<string, number> = {};
      for (const level of ['1m', '1h', '1d'] as const)
        out[level] = (await hubRollups(deviceId, level)).filter((r) => r.series_id === s.seriesId).length;
      return out;
    };
    // Its registration sample was rolled up at every level.
    expect(await rollupsOf()).toEqual({ '1m': 1, '1h': 1, '1d': 1 });
    const deleted = await hub.deleteSeries(s.seriesId);
    expect(deleted).toBe(expected.get(s.sid)!.size);
    expect(await blockRows(hub, s.sid)).toEqual([]);
    expect(await allOf(hub, s.sid)).toEqual([]);
    expect((await hub.history(s.seriesId, 0, T, 10)).ts).toHaveLength(0);
    const total = [...expected.values()].reduce((n, m) => n + m.size, 0) - expected.get(s.sid)!.size;
    expect((await hub.stats()).samples).toBe(total);
    expect(await rollupsOf()).toEqual({ '1m': 0, '1h': 0, '1d': 0 });
    // An alarm after the delete changes nothing else, and writes the device row's figures at once (no interval to wait).
    await alarmNow(hub);
    const stats = await hub.stats();
    expect(stats.samples).toBe(total);
    const row = await env.DB.prepare('SELECT series_count, minute_rows, hour_rows, day_rows FROM devices WHERE id = ?')
      .bind(deviceId)
      .first();
    expect(row).toEqual({
      series_count: series.length - 1,
      minute_rows: stats.minutes,
      hour_rows: stats.hours,
      day_rows: stats.days,
    });
  });
});
