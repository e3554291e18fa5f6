import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeviceView } from '../../schema/wire/telemetry.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { newId } from '../../workers/src/services/credentials/crypto.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { LEVELS } from '../../workers/src/objects/device-hub/rollup-store.ts';
import { hubRollups } from './rollup-helpers.ts';

interface Page {
  devices: DeviceView[];
  nextCursor: string | null;
}

const json = async <T>(res: Response) => (await res.json()) as T;
const names = async (org: TestOrg, query: string) =>
  (await json<Page>(await api(org.apiKey, `/v1/devices?${query}`))).devices.map((d) => d.name);

async function addSite(orgId: string, name: string): Promise<string> {
  const id = newId('site');
  await env.DB.prepare('INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)')
    .bind(id, orgId, name, Date.now())
    .run();
  return id;
}

/** Sets what enrollment and ingest would: kind, tags, site and last-seen time. */
async function shape(
  deviceId: string,
  fields: { kind?: string; tags?: string[]; siteId?: string; lastSeenAt: number | null },
) {
  await env.DB.prepare(
    'UPDATE devices SET kind = COALESCE(?, kind), tags = ?, site_id = ?, last_seen_at = ? WHERE id = ?',
  )
    .bind(fields.kind ?? null, JSON.stringify(fields.tags ?? []), fields.siteId ?? null, fields.lastSeenAt, deviceId)
    .run();
}

/** Rows of each rollup level in a device's hub, whatever series they belong to. */
const heldRows = (deviceId: string) =>
  runInDurableObject(deviceHubFor(env, deviceId), (_hub, state) =>
    Object.fromEntries(
      (['1m', '1h', '1d'] as const).map((level) => [
        level,
        state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${LEVELS[level].table}`).one().n,
      ]),
    ),
  );

const patch = (org: TestOrg, id: string, body: unknown) =>
  api(org.apiKey, `/v1/devices/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('GET /v1/devices filters and pages', () => {
  let org: TestOrg;
  let siteA: string;
  let siteB: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    org = await seedOrg();
    siteA = await addSite(org.orgId, 'Plant A');
    siteB = await addSite(org.orgId, 'Plant B');
    const now = Date.now();
    // ONLINE_WINDOW_SECONDS is 60: online within 1 min, stale within 10, offline after.
    const fleet = {
      'gw-north': { kind: 'gateway', tags: ['prod', 'modbus'], siteId: siteA, lastSeenAt: now - 5_000 },
      'web-1': { tags: ['prod', 'web'], siteId: siteA, lastSeenAt: now - 30_000 },
      'web-2': { tags: ['web'], siteId: siteB, lastSeenAt: now - 300_000 },
      'db-1': { tags: ['prod'], siteId: siteB, lastSeenAt: now - 3_600_000 },
      spare: { lastSeenAt: null },
    };
    for (const [name, fields] of Object.entries(fleet)) {
      ids[name] = (await enroll(org, name)).deviceId;
      await shape(ids[name], fields);
    }
  });

  it.each([
    ['', ['db-1', 'gw-north', 'spare', 'web-1', 'web-2']],
    ['tag=prod', ['db-1', 'gw-north', 'web-1']],
    ['tag=web&site=SITE_B', ['web-2']],
    ['kind=gateway', ['gw-north']],
    ['kind=host&tag=prod', ['db-1', 'web-1']],
    ['status=online', ['gw-north', 'web-1']],
    ['status=stale', ['web-2']],
    ['status=offline', ['db-1', 'spare']],
    ['status=offline&tag=prod', ['db-1']],
    ['tag=nothing', []],
  ])('filters %s', async (query, expected) => {
    expect(await names(org, query.replace('SITE_B', siteB))).toEqual(expected);
  });

  it('reports the status it filters on', async () => {
    const { devices } = await json<Page>(await api(org.apiKey, '/v1/devices?site=' + siteA));
    expect(devices.map((d) => [d.name, d.status, d.siteId])).toEqual([
      ['gw-north', 'online', siteA],
      ['web-1', 'online', siteA],
    ]);
  });

  it('pages through every device exactly once in (name, id) order', async () => {
    // Equal names are ordered by id, so pages never skip or repeat one.
    const twins = [(await enroll(org, 'web-1')).deviceId, (await enroll(org, 'web-1')).deviceId];
    for (const id of twins) await shape(id, { lastSeenAt: Date.now() });
    const all = [ids['db-1'], ids['gw-north'], ids.spare, ...[ids['web-1']!, ...twins].sort(), ids['web-2']];
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await json<Page>(
        await api(org.apiKey, `/v1/devices?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
      );
      seen.push(...page.devices.map((d) => d.id));
      sizes.push(page.devices.length);
      cursor = page.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([2, 2, 2, 1]);
    expect(seen).toEqual(all);
  });

  it('pages a filtered list', async () => {
    const first = await json<Page>(await api(org.apiKey, '/v1/devices?status=offline&limit=1'));
    expect(first.devices.map((d) => d.name)).toEqual(['db-1']);
    const second = await json<Page>(
      await api(org.apiKey, `/v1/devices?status=offline&limit=1&cursor=${first.nextCursor}`),
    );
    expect(second.devices.map((d) => d.name)).toEqual(['spare']);
    expect(second.nextCursor).toBeNull();
  });

  it.each([
    ['limit=501', 'limit'],
    ['limit=0', 'limit'],
    ['status=asleep', 'status'],
    ['kind=router', 'kind'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('rejects %s naming the field', async (query, field) => {
    const res = await api(org.apiKey, `/v1/devices?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field } });
  });

  it('refuses an unknown parameter', async () => {
    const res = await api(org.apiKey, '/v1/devices?colour=red');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input' } });
  });
});

describe('PATCH /v1/devices/:id', () => {
  let org: TestOrg;
  let other: TestOrg;
  let deviceId: string;
  let site: string;

  beforeAll(async () => {
    org = await seedOrg();
    other = await seedOrg();
    deviceId = (await enroll(org, 'edge-7')).deviceId;
    site = await addSite(org.orgId, 'Depot');
  });

  it('renames, moves and tags a device, and the DeviceHub takes the new site', async () => {
    const res = await patch(org, deviceId, { name: 'edge-7b', siteId: site, tags: ['cold', 'cold', 'dock'] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: deviceId, name: 'edge-7b', siteId: site, tags: ['cold', 'dock'] });
    expect(await json<DeviceView>(await api(org.apiKey, `/v1/devices/${deviceId}`))).toMatchObject({
      name: 'edge-7b',
      siteId: site,
      tags: ['cold', 'dock'],
    });
    const identity = await runInDurableObject(deviceHubFor(env, deviceId), (_hub, state) =>
      state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'identity'").one(),
    );
    expect(JSON.parse(identity.value)).toMatchObject({ deviceId, orgId: org.orgId, siteId: site, revoked: false });
  });

  it('changes only the fields given, and null takes the device out of its site', async () => {
    const res = await patch(org, deviceId, { siteId: null });
    expect(await res.json()).toMatchObject({ name: 'edge-7b', siteId: null, tags: ['cold', 'dock'] });
  });

  it.each([
    [{ siteId: 'site_nope' }, 'siteId'],
    [{ name: '' }, 'name'],
    [{ tags: 'cold' }, 'tags'],
    [{ tags: [''] }, 'tags.0'],
    [{ kind: 'gateway' }, ''],
  ])('rejects %j naming the field', async (body, field) => {
    const res = await patch(org, deviceId, body);
    expect(res.status).toBe(400);
    const { error } = await json<{ error: { code: string; field?: string } }>(res);
    expect(error.code).toBe('invalid_input');
    if (field) expect(error.field).toBe(field);
  });

  it("refuses another org's site as siteId", async () => {
    const foreign = await addSite(other.orgId, 'Not yours');
    const res = await patch(org, deviceId, { siteId: foreign });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field: 'siteId' } });
  });

  it("answers 404 for another org's device and 403 for a read-only key", async () => {
    expect((await patch(other, deviceId, { name: 'mine' })).status).toBe(404);
    const readOnly = await seedOrg(['read']);
    const own = (await enroll(readOnly, 'ro')).deviceId;
    expect((await patch(readOnly, own, { name: 'x' })).status).toBe(403);
  });
});

describe('DELETE /v1/devices/:id', () => {
  it('deletes the device, its series, rollups at every level and config, and refuses its token', async () => {
    const org = await seedOrg();
    const keep = await enroll(org, 'keeper');
    const dev = await enroll(org, 'doomed');
    const ts = Date.now() - 120_000;
    for (const d of [dev, keep]) {
      const res = await ingest(
        d.deviceToken,
        batch(`b-${d.deviceId}`, [{ metric: 'cpu_usage_percent', ts, value: 3 }]),
      );
      expect(res.status).toBe(200);
      await runDurableObjectAlarm(deviceHubFor(env, d.deviceId));
    }
    const put = await api(org.apiKey, `/v1/devices/${dev.deviceId}/agent-config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ intervals: { cpu: 5 } }),
    });
    expect(put.status).toBe(200);
    // D1's series rows and config, and the minute, hour and day rollups its hub holds.
    const counts = async (deviceId: string) => ({
      ...(await env.DB.prepare(
        `SELECT (SELECT COUNT(*) FROM series WHERE device_id = ?1) AS series,
                (SELECT COUNT(*) FROM agent_configs WHERE scope = ?1) AS configs`,
      )
        .bind(deviceId)
        .first()),
      minutes: (await hubRollups(deviceId, '1m')).length,
      hours: (await hubRollups(deviceId, '1h')).length,
      days: (await hubRollups(deviceId, '1d')).length,
    });
    expect(await counts(dev.deviceId)).toEqual({ series: 1, minutes: 1, hours: 1, days: 1, configs: 1 });

    const res = await api(org.apiKey, `/v1/devices/${dev.deviceId}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await api(org.apiKey, `/v1/devices/${dev.deviceId}`)).status).toBe(404);
    expect(await counts(dev.deviceId)).toEqual({ series: 0, minutes: 0, hours: 0, days: 0, configs: 0 });
    // No rollup row is left in the hub's tables under any series (counts above join the series it still knows).
    expect(await heldRows(dev.deviceId)).toEqual({ '1m': 0, '1h': 0, '1d': 0 });
    const refused = await ingest(
      dev.deviceToken,
      batch('after-delete', [{ metric: 'cpu_usage_percent', ts, value: 1 }]),
    );
    expect(refused.status).toBe(401);
    expect(await deviceHubFor(env, dev.deviceId).stats()).toMatchObject({
      samples: 0,
      series: 0,
      minutes: 0,
      hours: 0,
      days: 0,
    });
    // The other device is untouched.
    expect(await counts(keep.deviceId)).toEqual({ series: 1, minutes: 1, hours: 1, days: 1, configs: 0 });
    expect(await heldRows(keep.deviceId)).toEqual({ '1m': 1, '1h': 1, '1d': 1 });
    expect(
      (await ingest(keep.deviceToken, batch('keep-2', [{ metric: 'cpu_usage_percent', ts, value: 2 }]))).status,
    ).toBe(200);
  });

  it("answers 404 for another org's device and 403 without admin", async () => {
    const org = await seedOrg();
    const other = await seedOrg();
    const dev = await enroll(org, 'mine');
    expect((await api(other.apiKey, `/v1/devices/${dev.deviceId}`, { method: 'DELETE' })).status).toBe(404);
    for (const scopes of [['read'], ['read', 'write']]) {
      const limited = await seedOrg(scopes);
      const own = await enroll(limited, 'own');
      const res = await api(limited.apiKey, `/v1/devices/${own.deviceId}`, { method: 'DELETE' });
      expect(res.status).toBe(403);
      expect((await api(limited.apiKey, `/v1/devices/${own.deviceId}`)).status).toBe(200);
    }
    expect((await api(org.apiKey, `/v1/devices/${dev.deviceId}`)).status).toBe(200);
  });
});

describe('GET /v1/devices/:id series', () => {
  it('shows the series count against the limit, and the count follows a delete of the data', async () => {
    const org = await seedOrg();
    const dev = await enroll(org, 'counted');
    const series = async () => (await json<DeviceView>(await api(org.apiKey, `/v1/devices/${dev.deviceId}`))).series;
    expect(await series()).toEqual({ count: 0, limit: 10_000 });
    const ts = Date.now() - 60_000;
    const samples = [
      { metric: 'disk_used_bytes', ts, value: 1, labels: { mount: '/' } },
      { metric: 'disk_used_bytes', ts, value: 2, labels: { mount: '/var' } },
    ];
    expect((await ingest(dev.deviceToken, batch('counted-1', samples))).status).toBe(200);
    expect(await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId))).toBe(true);
    expect(await series()).toEqual({ count: 2, limit: 10_000 });
    expect((await api(org.apiKey, `/v1/devices/${dev.deviceId}/data`, { method: 'DELETE' })).status).toBe(200);
    expect(await runDurableObjectAlarm(deviceHubFor(env, dev.deviceId))).toBe(true);
    expect(await series()).toEqual({ count: 0, limit: 10_000 });
  });
});

describe('device status from its DeviceHub', () => {
  it('is written to D1 when it changes, and the API answers with the exact last-seen time from the hub', async () => {
    const org = await seedOrg();
    const dev = await enroll(org, 'reporter');
    const hub = deviceHubFor(env, dev.deviceId);
    const row = () =>
      env.DB.prepare('SELECT live, last_seen_at FROM devices WHERE id = ?')
        .bind(dev.deviceId)
        .first<{ live: number; last_seen_at: number | null }>();
    const view = async () => json<DeviceView>(await api(org.apiKey, `/v1/devices/${dev.deviceId}`));
    const listed = async (query: string) =>
      (await json<Page>(await api(org.apiKey, `/v1/devices?${query}`))).devices.filter((d) => d.id === dev.deviceId);
    const send = async (batchId: string) => {
      const res = await ingest(dev.deviceToken, batch(batchId, [{ metric: 'cpu', ts: Date.now() - 1_000, value: 1 }]));
      expect(res.status).toBe(200);
      return (await hub.seen()).lastSeenAt!;
    };
    expect(await row()).toEqual({ live: 0, last_seen_at: null });
    expect(await view()).toMatchObject({ lastSeenAt: null, status: 'offline' });

    // The first batch brings the device online: the alarm writes live and the exact time at once.
    const first = await send('status-1');
    await runDurableObjectAlarm(hub);
    expect(await row()).toEqual({ live: 1, last_seen_at: first });
    expect(await view()).toMatchObject({ lastSeenAt: first, status: 'online' });
    // The alarm comes back by the end of the online window (60 s), to find the device silent then.
    const next = await runInDurableObject(hub, (_hub, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect(next!).toBeLessThanOrEqual(first + 60_000 + 1);

    // A second batch changes no status: D1 keeps the time the device came online, also after the
    // alarm (its figures wait for the report interval), while the API answers with the hub's time.
    const second = await send('status-2');
    expect(second).toBeGreaterThan(first);
    await runDurableObjectAlarm(hub);
    expect(await row()).toEqual({ live: 1, last_seen_at: first });
    expect(await view()).toMatchObject({ lastSeenAt: second, status: 'online' });
    expect(await listed('')).toMatchObject([{ lastSeenAt: second, status: 'online' }]);

    // A device online for hours: D1's last_seen_at is past the window, `live` keeps it online.
    await env.DB.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?')
      .bind(first - 2 * 3_600_000, dev.deviceId)
      .run();
    expect(await listed('status=online')).toMatchObject([{ lastSeenAt: second, status: 'online' }]);
    expect(await listed('status=stale')).toEqual([]);
    expect(await listed('status=offline')).toEqual([]);
    expect(await view()).toMatchObject({ lastSeenAt: second, status: 'online' });

    // Its last batch five minutes ago (past the 60 s window, within ten): the alarm finds it silent
    // and writes live = 0 with the exact last-seen time; it shows stale.
    const silentSince = Date.now() - 5 * 60_000;
    await runInDurableObject(hub, (_hub, state) => {
      const sql = state.storage.sql;
      const seen = JSON.parse(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'seen'").one().value) as {
        lastSeenAt: number;
        agentVersion: string | null;
      };
      sql.exec("UPDATE meta SET value = ? WHERE key = 'seen'", JSON.stringify({ ...seen, lastSeenAt: silentSince }));
    });
    await runDurableObjectAlarm(hub);
    expect(await row()).toEqual({ live: 0, last_seen_at: silentSince });
    expect(await view()).toMatchObject({ lastSeenAt: silentSince, status: 'stale' });
    expect(await listed('status=stale')).toMatchObject([{ lastSeenAt: silentSince, status: 'stale' }]);
    expect(await listed('status=online')).toEqual([]);

    // Its next batch brings it online again, written at once by the alarm.
    const back = await send('status-3');
    await runDurableObjectAlarm(hub);
    expect(await row()).toEqual({ live: 1, last_seen_at: back });
    expect(await listed('status=online')).toMatchObject([{ lastSeenAt: back, status: 'online' }]);
  });
});
