import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { insertIncident } from './incident-fixtures.ts';

const MIN = 60_000;
let org: TestOrg;
let other: TestOrg;
const now = Date.now();
const recent = Math.floor(now / MIN) * MIN - 10 * MIN;

async function rollup(table: string, orgId: string, seriesId: string, bucket: number, count: number) {
  await env.DB.prepare(
    `INSERT INTO ${table} (sid, bucket, count, sum, min, max, last)
     SELECT num, ?, ?, 1, 1, 1, 1 FROM series WHERE id = ? AND org_id = ?`,
  )
    .bind(bucket, count, seriesId, orgId)
    .run();
}

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
      ...[0, 1, 2, 3].map((i) => ({ metric: 'cpu', ts: recent - 2 * 60 * MIN + i * 1000, value: i })),
    ]),
  );
  await ingest(stale.deviceToken, batch('stale', [{ metric: 'cpu', ts: recent - 2 * 60 * MIN, value: 1 }]));
  await ingest(elsewhere.deviceToken, batch('o', [{ metric: 'cpu', ts: recent, value: 1 }]));
  for (const d of [online, stale, elsewhere]) await runDurableObjectAlarm(deviceHubFor(env, d.deviceId));
  // Storage figures and a last-seen five minutes ago (stale: within ten 60 s windows), set after the alarms.
  await env.DB.batch([
    env.DB.prepare('UPDATE devices SET raw_bytes = 4096, raw_samples = 16 WHERE id = ?').bind(online.deviceId),
    env.DB.prepare('UPDATE devices SET raw_bytes = 1000, raw_samples = 1, last_seen_at = ? WHERE id = ?').bind(
      now - 5 * MIN,
      stale.deviceId,
    ),
    env.DB.prepare('UPDATE devices SET raw_bytes = 777777 WHERE id = ?').bind(elsewhere.deviceId),
  ]);
  const series = await env.DB.prepare('SELECT id, org_id FROM series ORDER BY id').all<{
    id: string;
    org_id: string;
  }>();
  const mine = series.results.find((s) => s.org_id === org.orgId)!.id;
  const theirs = series.results.find((s) => s.org_id === other.orgId)!.id;
  await rollup('rollups_1h', org.orgId, mine, 0, 5);
  await rollup('rollups_1h', org.orgId, mine, 3_600_000, 5);
  await rollup('rollups_1d', org.orgId, mine, 0, 10);
  await rollup('rollups_1h', other.orgId, theirs, 0, 5);
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
        // cpu and mem over 3 recent minutes, cpu in one old minute, the stale device's one minute.
        // Hours: the two inserted above, and the four the alarms' flushes wrote (cpu in two hours, mem, the stale device).
        rollupRows: { '1m': 8, '1h': 6, '1d': 1 },
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
