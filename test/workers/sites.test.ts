import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedOrg, type TestOrg } from './helpers.ts';
import { call, createController, createSite, enrollGateway, json } from './site-fixtures.ts';

let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  [org, other] = [await seedOrg(), await seedOrg()];
});

const siteCount = async (orgId: string) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM sites WHERE org_id = ?').bind(orgId).first<{ n: number }>())!.n;

describe('POST /v1/sites', () => {
  it('creates a site with UTC and discovery on by default, and records it in the audit log', async () => {
    const res = await call(org.apiKey, '/v1/sites', json('POST', { name: '  Depot  ' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Depot',
      address: null,
      timeZone: 'UTC',
      discovery: { enabled: true, intervalSeconds: 600, targets: [] },
      gateways: [],
      controllerCount: 0,
    });
    const audit = await env.DB.prepare('SELECT action, target_type FROM audit_log WHERE target_id = ?')
      .bind(res.body.id)
      .first();
    expect(audit).toEqual({ action: 'createSite', target_type: 'site' });
  });

  it('keeps an address, an IANA time zone and discovery targets (port 1234 unless given)', async () => {
    const res = await call(
      org.apiKey,
      '/v1/sites',
      json('POST', {
        name: 'Zürich HQ',
        address: 'Bahnhofstrasse 1',
        timeZone: 'Europe/Zurich',
        discovery: { intervalSeconds: 900, targets: [{ host: '10.20.0.15' }, { host: '10.20.0.16', port: 4321 }] },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      address: 'Bahnhofstrasse 1',
      timeZone: 'Europe/Zurich',
      discovery: {
        enabled: true,
        intervalSeconds: 900,
        targets: [
          { host: '10.20.0.15', port: 1234 },
          { host: '10.20.0.16', port: 4321 },
        ],
      },
    });
  });

  it.each([
    [{ name: 'x', timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    [{ name: 'x', timeZone: '+01:00' }, 'timeZone'],
    [{ name: '   ' }, 'name'],
    [{}, 'name'],
    [{ name: 'x', discovery: { intervalSeconds: 10 } }, 'discovery.intervalSeconds'],
    [{ name: 'x', discovery: { targets: [{ host: 'a b' }] } }, 'discovery.targets.0.host'],
    [{ name: 'x', colour: 'red' }, 'colour'],
  ])('refuses %j with 400 naming %s, and stores nothing', async (body, field) => {
    const before = await siteCount(org.orgId);
    const res = await call<{ error: { field: string; code: string } }>(org.apiKey, '/v1/sites', json('POST', body));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_input', field });
    expect(await siteCount(org.orgId)).toBe(before);
  });

  it('is refused to a read-only key and allowed to a member ("write") key', async () => {
    const reader = await seedOrg(['read']);
    const writer = await seedOrg(['write']);
    expect((await call(reader.apiKey, '/v1/sites', json('POST', { name: 'x' }))).status).toBe(403);
    expect((await call(writer.apiKey, '/v1/sites', json('POST', { name: 'x' }))).status).toBe(201);
    expect((await call(reader.apiKey, '/v1/sites')).status).toBe(200);
  });
});

describe('GET /v1/sites and /v1/sites/:id', () => {
  it('lists sites by name with their gateways and controller counts, and only the caller org', async () => {
    const mine = await seedOrg();
    const b = await createSite(mine, { name: 'B site' });
    const a = await createSite(mine, { name: 'A site' });
    await createSite(other, { name: 'Theirs' });
    const gw = await enrollGateway(mine, a, 'gw-a');
    await createController(mine, a, { serial: 11 });
    await createController(mine, a, { serial: 12 });
    const res = await call<{ sites: { id: string; gateways: { id: string }[]; controllerCount: number }[] }>(
      mine.apiKey,
      '/v1/sites',
    );
    expect(res.body.sites.map((s) => s.id)).toEqual([a, b]);
    expect(res.body.sites[0]).toMatchObject({
      controllerCount: 2,
      gateways: [{ id: gw.deviceId, name: 'gw-a', status: 'offline', lastSeenAt: null }],
    });
    expect(res.body.sites[1]).toMatchObject({ controllerCount: 0, gateways: [] });
  });

  it('gives one site with its controllers counted by status', async () => {
    const siteId = await createSite(org);
    await createController(org, siteId);
    const res = await call(org.apiKey, `/v1/sites/${siteId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: siteId,
      controllerCount: 1,
      controllerStatus: { online: 0, offline: 0, unknown: 1 },
    });
  });

  it("answers 404 for another organisation's site, on every operation", async () => {
    const theirs = await createSite(other);
    for (const [method, path, body] of [
      ['GET', `/v1/sites/${theirs}`],
      ['PATCH', `/v1/sites/${theirs}`, { name: 'mine now' }],
      ['DELETE', `/v1/sites/${theirs}`],
      ['GET', `/v1/sites/${theirs}/controllers`],
      ['POST', `/v1/sites/${theirs}/controllers`, { serial: 5, ip: '10.0.0.5' }],
    ] as const) {
      const res = await call<{ error: { code: string } }>(org.apiKey, path, body ? json(method, body) : { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await call<{ name: string }>(other.apiKey, `/v1/sites/${theirs}`)).body.name).toBe('Main building');
  });
});

describe('PATCH /v1/sites/:id', () => {
  it('changes only the fields given, clears the address with null and merges discovery', async () => {
    const siteId = await createSite(org, { address: 'Somewhere 1', discovery: { intervalSeconds: 900 } });
    const res = await call(
      org.apiKey,
      `/v1/sites/${siteId}`,
      json('PATCH', { timeZone: 'America/New_York', address: null, discovery: { enabled: false } }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Main building',
      address: null,
      timeZone: 'America/New_York',
      discovery: { enabled: false, intervalSeconds: 900, targets: [] },
    });
    expect((await call(org.apiKey, `/v1/sites/${siteId}`)).body).toMatchObject({ timeZone: 'America/New_York' });
  });

  it('refuses an unknown time zone naming timeZone and leaves the site as it was', async () => {
    const siteId = await createSite(org, { timeZone: 'Asia/Tokyo' });
    const res = await call<{ error: { field: string } }>(
      org.apiKey,
      `/v1/sites/${siteId}`,
      json('PATCH', { timeZone: 'Europe/Atlantis' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('timeZone');
    expect((await call(org.apiKey, `/v1/sites/${siteId}`)).body).toMatchObject({ timeZone: 'Asia/Tokyo' });
  });
});

describe('DELETE /v1/sites/:id', () => {
  it('deletes its controllers and trend logs, and keeps its gateway without a site', async () => {
    const siteId = await createSite(org);
    const gw = await enrollGateway(org, siteId);
    const controllerId = await createController(org, siteId, { gatewayDeviceId: gw.deviceId });
    const log = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 't', siteId, intervalSeconds: 60, points: [{ controllerId, point: 'IN1' }] }),
    );
    expect(log.status).toBe(201);
    const res = await call(org.apiKey, `/v1/sites/${siteId}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: siteId, controllers: 1, trendLogs: 1 });
    expect((await call(org.apiKey, `/v1/controllers/${controllerId}`)).status).toBe(404);
    expect((await call(org.apiKey, `/v1/trend-logs/${log.body.id}`)).status).toBe(404);
    expect((await call(org.apiKey, `/v1/devices/${gw.deviceId}`)).body).toMatchObject({
      siteId: null,
      kind: 'gateway',
    });
    expect((await call(org.apiKey, `/v1/sites/${siteId}`, { method: 'DELETE' })).status).toBe(404);
  });
});
