import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { insertIncident } from './incident-fixtures.ts';
import { putRollups, reportDue } from './rollup-helpers.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
let org: TestOrg;
let other: TestOrg;
const now = Date.now();
// Ten minutes ago, moved back so its three minutes (below) lie in one clock hour: hour counts are exact.
const tenAgo = Math.floor(now / MIN) * MIN - 10 * MIN;
const recent = tenAgo % HOUR >= HOUR - 3 * MIN ? tenAgo - 3 * MIN : tenAgo;
const old = recent - 2 * HOUR;
/** Day buckets the online device's cpu samples fall in: two when the recent ones are within two hours of midnight UTC. */
const cpuDays = new Set([recent, old].map((t) => t - (t % DAY))).size;
/** A day before every sample's, for fixture buckets no flush rebuilds (and within every default retention). */
const fixtureDay = recent - (recent % DAY) - 3 * DAY;

const seriesOf = async (deviceId: string) =>
  (await env.DB.prepare('SELECT id FROM series WHERE device_id = ? ORDER BY id').bind(deviceId).first<string>('id'))!;

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  const online = await enroll(org, 'online');
  const stale = await enroll(org, 'stale');
  await enroll(org, 'never-reported');
  const elsewhere = await enroll(other, 'elsewhere');
  // 12 samples in the last hour over 3 minutes and 2 series, and 4 from two hours ago.
  await ingest(
    online.deviceToken,
    batch('recent', [
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ metric: 'cpu', ts: recent + i * 30_000, value: i })),
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ metric: 'mem', ts: recent + i * 30_000, value: i })),
      ...[0, 1, 2, 3].map((i) => ({ metric: 'cpu', ts: old + i * 1000, value: i })),
    ]),
  );
  await ingest(stale.deviceToken, batch('stale', [{ metric: 'cpu', ts: old, value: 1 }]));
  await ingest(elsewhere.deviceToken, batch('o', [{ metric: 'cpu', ts: recent, value: 1 }]));
  for (const d of [online, stale, elsewhere]) await runDurableObjectAlarm(deviceHubFor(env, d.deviceId));
  // Fixture buckets in the hubs (two hours and a day of one series of the org, an hour of the other
  // org's); the hubs report them to their device rows at their next alarm.
  const mine = await seriesOf(online.deviceId);
  const theirs = await seriesOf(elsewhere.deviceId);
  await putRollups('1h', [
    [mine, fixtureDay, 5, 1, 1, 1, 1],
    [mine, fixtureDay + HOUR, 5, 1, 1, 1, 1],
    [theirs, fixtureDay, 5, 1, 1, 1, 1],
  ]);
  await putRollups('1d', [[mine, fixtureDay, 10, 1, 1, 1, 1]]);
  for (const d of [online, elsewhere]) {
    await reportDue(d.deviceId);
    await runDurableObjectAlarm(deviceHubFor(env, d.deviceId));
  }
  // Storage figures and a last-seen five minutes ago (stale: within ten 60 s windows), set after
  // the alarms; the stale device's hub reported it live, so `live` goes back to 0 with it.
  await env.DB.batch([
    env.DB.prepare('UPDATE devices SET raw_bytes = 4096, raw_samples = 16 WHERE id = ?').bind(online.deviceId),
    env.DB.prepare(
      'UPDATE devices SET raw_bytes = 1000, raw_samples = 1, last_seen_at = ?, live = 0 WHERE id = ?',
    ).bind(now - 5 * MIN, stale.deviceId),
    env.DB.prepare('UPDATE devices SET raw_bytes = 777777 WHERE id = ?').bind(elsewhere.deviceId),
  ]);
});

describe('GET /v1/summary', () => {
  it("sums the caller's organisation only", async () => {
    const res = await api(org.apiKey, '/v1/summary');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      devices: { total: 3, online: 1, stale: 1, offline: 1 },
      series: 3,
      samplesLastHour: 12,
      storage: {
        rawBytes: 5096,
        rawSamples: 17,
        // What the hubs hold, as they reported it. Minutes: cpu and mem over 3 recent minutes, cpu
        // in one old minute, the stale device's one minute. Hours: the two fixtures, and the four
        // the flushes built (cpu in two hours, mem in one, the stale device in one). Days: the
        // fixture, and those the flushes built from the hours: cpu's (one, or two when the old
        // minute is the day before), mem's one and the stale device's one.
        rollupRows: { '1m': 8, '1h': 6, '1d': 1 + cpuDays + 1 + 1 },
      },
      incidents: { firing: 0, pending: 0, unacknowledged: 0, critical: 0 },
    });
  });

  it('counts open incidents: firing, pending, firing and unacknowledged, firing at critical', async () => {
    const o = await seedOrg();
    const device = (await enroll(o, 'alerting')).deviceId;
    const elsewhere = (await enroll(other, 'alerting-elsewhere')).deviceId;
    await insertIncident(o.orgId, device, { severity: 'critical' });
    await insertIncident(o.orgId, device, { severity: 'warning' });
    await insertIncident(o.orgId, device, { severity: 'critical', acknowledgedAt: now });
    await insertIncident(o.orgId, device, { state: 'pending' });
    await insertIncident(o.orgId, device, { state: 'pending', severity: 'warning' });
    await insertIncident(o.orgId, device, { state: 'resolved' });
    await insertIncident(other.orgId, elsewhere, { severity: 'critical' });
    const res = await api(o.apiKey, '/v1/summary');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { incidents: unknown }).incidents).toEqual({
      firing: 3,
      pending: 2,
      unacknowledged: 2,
      critical: 2,
    });
  });

  it('refuses parameters and keys without read', async () => {
    expect((await api(org.apiKey, '/v1/summary?x=1')).status).toBe(400);
    expect((await api((await seedOrg(['write'])).apiKey, '/v1/summary')).status).toBe(403);
  });
});
