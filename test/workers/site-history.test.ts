import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_METRICS } from '../../schema/wire/gateway.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { seriesId, seriesKey } from '../../workers/src/services/ingest/series-key.ts';
import { batch, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { call, createSite, enrollGateway } from './site-fixtures.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A trend log at 15 minutes: 96 samples a day per point. */
const SLOT = 15 * MINUTE;
const SLOTS = DAY / SLOT;
/** Three years back from today, 2024-02-29 among them. */
const DAYS = 3 * 365 + 1;
const TODAY = Date.now() - (Date.now() % DAY);
const FIRST_DAY = TODAY - DAYS * DAY;
const POINTS = [
  { controller: '2310001', point: 'IN1', type: 'IN' },
  { controller: '2310001', point: 'OUT3', type: 'OUT' },
  { controller: '2310002', point: 'VAR5', type: 'VAR' },
  { controller: '2310002', point: 'IN7', type: 'IN' },
];
/** A day on which the last point sent nothing (its controller was off). */
const GAP_DAY = 500;

/** Point p's value on day d at slot k: a level per point and day, and a pattern within the day. */
const base = (p: number, d: number) => p * 100 + (d % 50);
const value = (p: number, d: number, k: number) => base(p, d) + (k - 48) / 4;
/** The pattern's daily aggregates: Σ(k − 48)/4 over k = 0…95 is −12. */
const daily = (p: number, d: number) => ({
  count: SLOTS,
  mean: base(p, d) - 12 / SLOTS,
  min: base(p, d) - 12,
  max: base(p, d) + 11.75,
});
const dayIndex = (ts: number) => Math.round((ts - FIRST_DAY) / DAY);

type Sample = { metric: string; ts: number; value: number; labels: Record<string, string> };
interface History {
  source: string;
  step: number;
  note?: string;
  series: { seriesId: string; points: { ts: number; value: number }[] }[];
}

let org: TestOrg;
let gateway: { deviceId: string; deviceToken: string };
let ids: string[];

/** The org's default windows (schema/tables/tenancy.ts): 1-minute rollups 90 days, hourly 730. */
const MINUTES_KEPT = 90 * DAY;
const HOURS_KEPT = 730 * DAY;

/** What the gateway's hub holds: dirty minutes, and the oldest minute and hour rows (span starts). */
function holdings() {
  return runInDurableObject(deviceHubFor(env, gateway.deviceId), (_o, state) => {
    const sql = state.storage.sql;
    const oldest = (table: string, spanMs: number) =>
      (sql.exec<{ k: number | null }>(`SELECT MIN(key % 16777216) AS k FROM ${table}`).one().k ?? Infinity) * spanMs;
    return {
      dirty: sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM dirty_minutes').one().n,
      minutesFrom: oldest('minute_hours', HOUR),
      hoursFrom: oldest('hour_days', DAY),
    };
  });
}

/**
 * Runs the gateway's alarm until every dirty minute is rolled up and its sweeps have taken minutes
 * and hours to the org's windows; returns how many runs it took. Counting only the dirty minutes:
 * the hub's stats() would scan every sample on each run.
 */
async function alarmUntilSettled(): Promise<number> {
  const hub = deviceHubFor(env, gateway.deviceId);
  const settled = async () => {
    const h = await holdings();
    return h.dirty === 0 && h.minutesFrom >= TODAY - MINUTES_KEPT && h.hoursFrom >= TODAY - HOURS_KEPT;
  };
  let runs = 0;
  while (!(await settled())) {
    if (++runs > 1000) throw new Error('the alarm left dirty minutes or expired rollups behind');
    expect(await runDurableObjectAlarm(hub)).toBe(true);
  }
  return runs;
}

async function ingestAll(samples: Sample[], tag: string): Promise<number> {
  // As the agent's spool sends them: oldest first, up to the ingest cap per batch.
  let n = 0;
  for (let i = 0; i < samples.length; i += 5000) {
    const res = await ingest(gateway.deviceToken, batch(`${tag}-${n++}`, samples.slice(i, i + 5000)));
    expect(res.status).toBe(200);
  }
  return n;
}

async function history(query: string): Promise<History> {
  const res = await call<History>(org.apiKey, `/v1/history?series=${ids.join(',')}&${query}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe('years of building history through the daily rollups', () => {
  beforeAll(async () => {
    org = await seedOrg();
    gateway = await enrollGateway(org, await createSite(org), 'gw-history');
    ids = await Promise.all(
      POINTS.map((labels) => seriesId(gateway.deviceId, seriesKey(GATEWAY_METRICS.pointValue, labels))),
    );
    const samples: Sample[] = [];
    for (let d = 0; d < DAYS; d++) {
      for (let k = 0; k < SLOTS; k++) {
        for (const [p, labels] of POINTS.entries()) {
          if (p === 3 && d === GAP_DAY) continue;
          samples.push({
            metric: GATEWAY_METRICS.pointValue,
            ts: FIRST_DAY + d * DAY + k * SLOT,
            value: value(p, d, k),
            labels,
          });
        }
      }
    }
    const t0 = Date.now();
    const batches = await ingestAll(samples, 'spool');
    const t1 = Date.now();
    // The alarm rolls minutes into hours and days and sweeps them by the org's windows as it goes.
    const alarms = await alarmUntilSettled();
    const t2 = Date.now();
    console.info(
      `loaded ${samples.length} samples in ${batches} batches: ingest ${t1 - t0} ms, flush and sweeps ${t2 - t1} ms in ${alarms} alarms`,
    );
  }, 300_000);

  it('answers a three-year daily read from the daily rollups with each day’s mean, min, max and count', async () => {
    const range = `from=${FIRST_DAY}&to=${TODAY}&step=1d`;
    const aggs = ['mean', 'min', 'max', 'count'] as const;
    const reads = await Promise.all(aggs.map((agg) => history(`${range}&agg=${agg}`)));
    for (const [i, read] of reads.entries()) {
      const agg = aggs[i]!;
      expect(read.source, agg).toBe('1d');
      expect(read.step).toBe(DAY);
      expect(read.series.map((s) => s.seriesId)).toEqual(ids);
      for (const [p, series] of read.series.entries()) {
        const days = [...Array(DAYS).keys()].filter((d) => p !== 3 || d !== GAP_DAY);
        expect(series.points.map((x) => x.ts)).toEqual(days.map((d) => FIRST_DAY + d * DAY));
        for (const point of series.points) {
          const want = daily(p, dayIndex(point.ts))[agg];
          if (point.value !== want)
            expect(point.value, `${agg} of point ${p} on ${new Date(point.ts).toISOString()}`).toBeCloseTo(want, 9);
        }
      }
    }
    const leap = Date.UTC(2024, 1, 29);
    const [mean, , , count] = reads;
    expect(count!.series[0]!.points.find((x) => x.ts === leap)?.value).toBe(SLOTS);
    expect(mean!.series[2]!.points.find((x) => x.ts === leap)?.value).toBeCloseTo(daily(2, dayIndex(leap)).mean, 9);
  });

  it("is another organisation's 404", async () => {
    const other = await seedOrg();
    const res = await call<{ error: { code: string; field?: string } }>(
      other.apiKey,
      `/v1/history?series=${ids[0]}&from=${FIRST_DAY}&to=${TODAY}&step=1d`,
    );
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('answers an hourly read of a day two years ago from the hourly rollups', async () => {
    const d = DAYS - 700;
    const day = FIRST_DAY + d * DAY;
    const read = await history(`from=${day}&to=${day + DAY}&step=1h&agg=mean`);
    expect(read.source).toBe('1h');
    // Hour h holds slots 4h…4h+3, whose pattern averages (4h + 1.5 − 48) / 4.
    expect(read.series[1]!.points).toEqual(
      [...Array(24).keys()].map((h) => ({ ts: day + h * HOUR, value: base(1, d) + (4 * h + 1.5 - 48) / 4 })),
    );
  });

  it('says that minutes of a year ago are gone instead of failing', async () => {
    const from = TODAY - 365 * DAY + 10 * HOUR;
    const read = await history(`from=${from}&to=${from + HOUR}&step=1m`);
    expect(read.series.every((s) => s.points.length === 0)).toBe(true);
    expect(read.note).toMatch(/retention/);
    const explicit = await history(`from=${from}&to=${from + HOUR}&step=1m&source=1m`);
    expect(explicit.series.every((s) => s.points.length === 0)).toBe(true);
    expect(explicit.note).toBe(
      "from is past the 1m source's retention (90 days): its data before then is deleted; a coarser step reads the 1h or 1d rollups",
    );
  });

  it('merges late samples into days whose minutes (and hours) the sweep already deleted', async () => {
    // Day 100: minutes and hours long swept. 200 days ago: minutes swept, hours kept.
    const old = 100;
    const recent = DAYS - 200;
    const late = [
      ...[0, 1, 2, 3].map((k) => ({ d: old, k, value: 1000 })),
      ...[0, 1].map((k) => ({ d: recent, k, value: -1000 })),
    ].map(({ d, k, value }) => ({
      metric: GATEWAY_METRICS.pointValue,
      ts: FIRST_DAY + d * DAY + k * SLOT + 7 * MINUTE,
      value,
      labels: POINTS[0]!,
    }));
    await ingestAll(late, 'late');
    await flush(gateway.deviceId);
    await alarmUntilSettled();
    const days = async (d: number, agg: string) =>
      (await history(`from=${FIRST_DAY + d * DAY}&to=${FIRST_DAY + (d + 1) * DAY}&step=1d&agg=${agg}`)).series[0]!
        .points[0]!.value;
    expect(await days(old, 'count')).toBe(SLOTS + 4);
    expect(await days(old, 'max')).toBe(1000);
    expect(await days(old, 'min')).toBe(daily(0, old).min);
    expect(await days(old, 'sum')).toBeCloseTo(daily(0, old).mean * SLOTS + 4000, 9);
    expect(await days(recent, 'count')).toBe(SLOTS + 2);
    expect(await days(recent, 'min')).toBe(-1000);
    const hours = await history(
      `from=${FIRST_DAY + recent * DAY}&to=${FIRST_DAY + recent * DAY + HOUR}&step=1h&agg=count`,
    );
    expect(hours.series[0]!.points).toEqual([{ ts: FIRST_DAY + recent * DAY, value: 6 }]);
    // Merged once: more alarms find nothing to add.
    const hub = deviceHubFor(env, gateway.deviceId);
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await days(old, 'count')).toBe(SLOTS + 4);
    expect(await days(recent, 'count')).toBe(SLOTS + 2);
  });

  it('keeps raw samples only for the raw retention once flushed', async () => {
    const hub = deviceHubFor(env, gateway.deviceId);
    const held = () =>
      runInDurableObject(hub, (_o, state) =>
        state.storage.sql
          // Raw samples are head rows and sealed blocks (no re-sent duplicates here).
          .exec<{ n: number; oldest: number }>(
            `SELECT (SELECT COUNT(*) FROM samples) + (SELECT COALESCE(SUM(count), 0) FROM blocks) AS n,
               MIN(COALESCE((SELECT MIN(ts) FROM samples), 1e18), COALESCE((SELECT MIN(first_ts) FROM blocks), 1e18)) AS oldest`,
          )
          .one(),
      );
    const window = () => Date.now() - 30 * DAY - MINUTE;
    // The flush let old samples go as it went; the alarm deletes what is left, 5,000 a run.
    for (let i = 0; i < 20 && (await held()).oldest < window(); i++) await runDurableObjectAlarm(hub);
    const { n, oldest } = await held();
    expect(oldest).toBeGreaterThanOrEqual(window());
    expect(oldest).toBeLessThan(window() + SLOT + MINUTE);
    expect(n).toBe(((TODAY - oldest) / SLOT) * POINTS.length);
  });
});
