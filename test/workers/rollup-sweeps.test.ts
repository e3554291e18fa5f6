import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { sweepRollups } from '../../workers/src/services/storage/retention-cron.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { d1Rollups, orgMinutes } from './rollup-helpers.ts';

/** The retention sweep and the roll-up together: what each level holds when data comes late or early. */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T = Date.now();
const END = T - (T % HOUR);

/** Twelve minutes at the start of each of the `hours` hours before END, value = hours back. */
function hourly(hours: number) {
  const samples = [];
  for (let h = 1; h <= hours; h++) {
    for (let k = 0; k < 12; k++) samples.push({ metric: 'temp_c', ts: END - h * HOUR + k * MINUTE, value: h });
  }
  return samples;
}

async function load(org: TestOrg, name: string, samples: { metric: string; ts: number; value: number }[]) {
  const device = await enroll(org, name);
  for (let i = 0; i < samples.length; i += 5000) {
    const res = await ingest(device.deviceToken, batch(`${name}-${i}`, samples.slice(i, i + 5000)));
    expect(res.status).toBe(200);
  }
  await flush(device.deviceId);
  return device;
}

async function setRetention(org: TestOrg, retention: Record<string, number>) {
  const res = await api(org.apiKey, '/v1/org/settings', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ retention }),
  });
  expect(res.status).toBe(200);
}

const rows = async (table: string, orgId: string) =>
  (table === 'rollups_1m'
    ? await orgMinutes(orgId)
    : await d1Rollups(table as 'rollups_1h' | 'rollups_1d', 's.org_id = ?', orgId)
  )
    .map(({ bucket, count, sum, min, max }) => ({ bucket, count, sum, min, max }))
    .sort((a, b) => a.bucket - b.bucket);

describe('rollup retention and late data', () => {
  it('recomputes an expired hour the sweep has not reached yet from all its minutes, counting each once', async () => {
    const org = await seedOrg();
    const device = await load(org, 'not-yet-swept', hourly(40 * 24));
    await runCron(env, Date.now());
    // The windows narrow, and a late minute comes for an hour now past them, before any sweep.
    await setRetention(org, { rawDays: 10, rollup1mDays: 20, rollup1hDays: 30 });
    const hour = END - 25 * 24 * HOUR;
    const res = await ingest(
      device.deviceToken,
      batch('late', [{ metric: 'temp_c', ts: hour + 30 * MINUTE, value: 1 }]),
    );
    expect(res.status).toBe(200);
    await flush(device.deviceId);
    await runCron(env, Date.now());
    expect((await rows('rollups_1h', org.orgId)).find((r) => r.bucket === hour)).toEqual({
      bucket: hour,
      count: 13,
      sum: 12 * (25 * 24) + 1,
      min: 1,
      max: 25 * 24,
    });
    // …and the sweep then emptied the minutes before the 1-minute window.
    const minutes = await rows('rollups_1m', org.orgId);
    expect(minutes[0]!.bucket).toBeGreaterThanOrEqual(END - 20 * DAY - HOUR);
  });

  it('keeps the minutes of an hour still marked for roll-up, and sweeps them once the hour has them', async () => {
    const org = await seedOrg();
    await load(org, 'marked', hourly(40 * 24));
    await setRetention(org, { rawDays: 10, rollup1mDays: 20 });
    const before = await rows('rollups_1m', org.orgId);
    // The sweep alone, while every hour is still marked: nothing may go before it reached its hour.
    await sweepRollups(env.DB, Date.now(), Date.now() + 60_000);
    expect(await rows('rollups_1m', org.orgId)).toEqual(before);

    await runCron(env, Date.now());
    const hours = await rows('rollups_1h', org.orgId);
    expect(hours).toHaveLength(40 * 24);
    expect(hours.every((h) => h.count === 12)).toBe(true);
    const cutoff = Date.now() - (Date.now() % HOUR) - 20 * DAY;
    expect(await rows('rollups_1m', org.orgId)).toEqual(before.filter((r) => r.bucket >= cutoff));
  });

  it('sweeps hours no further than minutes, so a day never counts an hour twice', async () => {
    const org = await seedOrg();
    const device = await load(org, 'hours-after-minutes', hourly(40 * 24));
    await runCron(env, Date.now());
    const days = await rows('rollups_1d', org.orgId);
    // A late minute for an hour 35 days back holds its minutes (and those after) while it waits.
    const hour = END - 35 * 24 * HOUR;
    const day = hour - (hour % DAY);
    const res = await ingest(
      device.deviceToken,
      batch('late', [{ metric: 'temp_c', ts: hour + 30 * MINUTE, value: 0 }]),
    );
    expect(res.status).toBe(200);
    await flush(device.deviceId);
    await setRetention(org, { rawDays: 10, rollup1mDays: 20, rollup1hDays: 30 });
    await sweepRollups(env.DB, Date.now(), Date.now() + 60_000);
    const sweeps = await env.DB.prepare('SELECT level, through FROM rollup_sweeps WHERE org_id = ? ORDER BY level')
      .bind(org.orgId)
      .all();
    // Hours stop at the marked day, and at the oldest hour whose minutes the device still holds (its row says which).
    const held = (await env.DB.prepare('SELECT minutes_from FROM devices WHERE id = ?')
      .bind(device.deviceId)
      .first<number>('minutes_from'))!;
    expect(sweeps.results).toEqual([{ level: '1h', through: Math.min(day, held - (held % DAY)) }]);

    // The hour is rebuilt from its 13 minutes, and the day from its hours: one more sample, not 13.
    await runCron(env, Date.now());
    const dayRow = days.find((d) => d.bucket === day)!;
    expect((await rows('rollups_1d', org.orgId)).find((r) => r.bucket === day)).toEqual({
      ...dayRow,
      count: dayRow.count + 1,
      min: 0,
    });
  });
});
