import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { newApiKey } from '../../workers/src/services/credentials/tokens.ts';
import { batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { call, createController, createSite, enrollGateway, json } from './site-fixtures.ts';

let org: TestOrg;
let other: TestOrg;
let siteId: string;

beforeAll(async () => {
  [org, other] = [await seedOrg(), await seedOrg()];
  siteId = await createSite(org);
});

const controllerCount = async (orgId: string) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM controllers WHERE org_id = ?').bind(orgId).first<{ n: number }>())!
    .n;

describe('POST /v1/sites/:id/controllers', () => {
  it('adds a controller by hand with Modbus defaults, status unknown until its gateway reports', async () => {
    const res = await call(
      org.apiKey,
      `/v1/sites/${siteId}/controllers`,
      json('POST', { serial: 1001, ip: '192.168.1.20', label: 'AHU 1' }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      siteId,
      serial: 1001,
      label: 'AHU 1',
      ip: '192.168.1.20',
      port: 502,
      modbusId: 1,
      gatewayDeviceId: null,
      source: 'manual',
      status: 'unknown',
      lastReadAt: null,
    });
    expect((await call(org.apiKey, `/v1/controllers/${res.body.id}`)).body).toEqual(res.body);
  });

  it('refuses a serial number already in the organisation with 409 naming serial; another org may use it', async () => {
    await createController(org, siteId, { serial: 2002 });
    const before = await controllerCount(org.orgId);
    const res = await call<{ error: { code: string; field: string } }>(
      org.apiKey,
      `/v1/sites/${siteId}/controllers`,
      json('POST', { serial: 2002, ip: '10.0.0.2' }),
    );
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'serial_taken', field: 'serial' });
    expect(await controllerCount(org.orgId)).toBe(before);
    const theirSite = await createSite(other);
    await createController(other, theirSite, { serial: 2002 });
  });

  it('takes a gateway of the organisation, and refuses a host device or another org gateway naming gatewayDeviceId', async () => {
    const gw = await enrollGateway(org, siteId);
    const host = await enroll(org, 'a-host');
    const theirs = await enrollGateway(other, null);
    for (const gatewayDeviceId of [host.deviceId, theirs.deviceId, 'dev_nope']) {
      const res = await call<{ error: { field: string } }>(
        org.apiKey,
        `/v1/sites/${siteId}/controllers`,
        json('POST', { serial: 3003, ip: '10.0.0.3', gatewayDeviceId }),
      );
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe('gatewayDeviceId');
    }
    const ok = await call(
      org.apiKey,
      `/v1/sites/${siteId}/controllers`,
      json('POST', { serial: 3003, ip: '10.0.0.3', gatewayDeviceId: gw.deviceId }),
    );
    expect(ok.status).toBe(201);
    expect(ok.body.gatewayDeviceId).toBe(gw.deviceId);
  });

  it.each([
    [{ ip: '10.0.0.4' }, 'serial'],
    [{ serial: -1, ip: '10.0.0.4' }, 'serial'],
    [{ serial: 4_294_967_296, ip: '10.0.0.4' }, 'serial'],
    [{ serial: 4004 }, 'ip'],
    [{ serial: 4004, ip: 'not a host' }, 'ip'],
    [{ serial: 4004, ip: '10.0.0.4', port: 0 }, 'port'],
    [{ serial: 4004, ip: '10.0.0.4', modbusId: 256 }, 'modbusId'],
    [{ serial: 4004, ip: '10.0.0.4', timeoutMs: 10 }, 'timeoutMs'],
    [{ serial: 4004, ip: '10.0.0.4', status: 'online' }, 'status'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const before = await controllerCount(org.orgId);
    const res = await call<{ error: { field: string } }>(
      org.apiKey,
      `/v1/sites/${siteId}/controllers`,
      json('POST', body),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(await controllerCount(org.orgId)).toBe(before);
  });

  it('needs sites.write: a read key gets 403 and can still list', async () => {
    const reader = await keyOf(org.orgId, ['read']);
    const readerSite = await createSite(org, { name: 'Read only' });
    const res = await call(reader, `/v1/sites/${readerSite}/controllers`, json('POST', { serial: 1, ip: 'h' }));
    expect(res.status).toBe(403);
    expect((await call(reader, `/v1/sites/${readerSite}/controllers`)).body).toEqual({ controllers: [] });
  });
});

/** A further key of an existing org with these scopes. */
async function keyOf(orgId: string, scopes: string[]): Promise<string> {
  const apiKey = newApiKey();
  await env.DB.prepare(
    'INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(
      newId('key'),
      orgId,
      'extra',
      apiKey.slice(0, 12),
      await sha256Hex(apiKey),
      JSON.stringify(scopes),
      Date.now(),
    )
    .run();
  return apiKey;
}

describe('PATCH and DELETE /v1/controllers/:id', () => {
  it('changes label, site and gateway; null unassigns the gateway', async () => {
    const gw = await enrollGateway(org, siteId);
    const id = await createController(org, siteId, { serial: 5005 });
    const elsewhere = await createSite(org, { name: 'Annex' });
    const res = await call(
      org.apiKey,
      `/v1/controllers/${id}`,
      json('PATCH', { label: 'Boiler', siteId: elsewhere, gatewayDeviceId: gw.deviceId }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ label: 'Boiler', siteId: elsewhere, gatewayDeviceId: gw.deviceId, serial: 5005 });
    const cleared = await call(
      org.apiKey,
      `/v1/controllers/${id}`,
      json('PATCH', { gatewayDeviceId: null, label: null }),
    );
    expect(cleared.body).toMatchObject({ label: null, gatewayDeviceId: null, siteId: elsewhere });
    const audit = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_log WHERE target_id = ? AND action = 'updateController'",
    )
      .bind(id)
      .first<{ n: number }>();
    expect(audit!.n).toBe(2);
  });

  it("refuses a move to another organisation's site naming siteId, and leaves the controller", async () => {
    const id = await createController(org, siteId, { serial: 6006 });
    const theirs = await createSite(other);
    const res = await call<{ error: { field: string } }>(
      org.apiKey,
      `/v1/controllers/${id}`,
      json('PATCH', { siteId: theirs }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('siteId');
    expect((await call(org.apiKey, `/v1/controllers/${id}`)).body).toMatchObject({ siteId });
  });

  it("answers 404 for another organisation's controller", async () => {
    const theirSite = await createSite(other);
    const theirs = await createController(other, theirSite);
    for (const [method, body] of [['GET'], ['PATCH', { label: 'x' }], ['DELETE']] as const) {
      const res = await call(org.apiKey, `/v1/controllers/${theirs}`, body ? json(method, body) : { method });
      expect(res.status, method).toBe(404);
    }
    for (const [method, body] of [['GET'], ['PATCH', { points: [{ point: 'IN1', label: 'x' }] }]] as const) {
      const res = await call(org.apiKey, `/v1/controllers/${theirs}/points`, body ? json(method, body) : { method });
      expect(res.status, `${method} points`).toBe(404);
    }
    expect((await call(other.apiKey, `/v1/controllers/${theirs}`)).status).toBe(200);
  });

  it('deletes the controller and its entries in trend logs, keeping the other entries', async () => {
    const a = await createController(org, siteId, { serial: 7007 });
    const b = await createController(org, siteId, { serial: 7008 });
    const log = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', {
        name: 'both',
        siteId,
        intervalSeconds: 30,
        points: [
          { controllerId: a, point: 'IN1' },
          { controllerId: b, point: 'IN2' },
        ],
        registers: [{ controllerId: a, spec: { name: 'flow', register: 'holding', address: 1, type: 'INT16' } }],
      }),
    );
    expect(log.status).toBe(201);
    expect((await call(org.apiKey, `/v1/controllers/${a}`, { method: 'DELETE' })).body).toEqual({ id: a });
    expect((await call(org.apiKey, `/v1/controllers/${a}`)).status).toBe(404);
    expect((await call(org.apiKey, `/v1/trend-logs/${log.body.id}`)).body).toMatchObject({
      points: [{ controllerId: b, point: 'IN2' }],
      registers: [],
    });
  });
});

describe('controller status', () => {
  const health = (serial: number, up: number, ts: number, lastSuccess?: number) => [
    { metric: 'gateway_controller_up', ts, value: up, labels: { controller: String(serial) } },
    ...(lastSuccess !== undefined
      ? [
          {
            metric: 'gateway_controller_last_success_timestamp_seconds',
            ts,
            value: lastSuccess / 1000,
            labels: { controller: String(serial) },
          },
        ]
      : []),
  ];

  it("is online with the last read from the gateway's health samples, offline once a poll fails", async () => {
    const gw = await enrollGateway(org, siteId, 'gw-status');
    const id = await createController(org, siteId, { serial: 8008, gatewayDeviceId: gw.deviceId });
    const t = Date.now() - 5_000;
    expect((await ingest(gw.deviceToken, batch('h-1', health(8008, 1, t, t - 200)))).status).toBe(200);
    expect((await call(org.apiKey, `/v1/controllers/${id}`)).body).toMatchObject({
      status: 'online',
      lastReadAt: t - 200,
    });
    expect((await ingest(gw.deviceToken, batch('h-2', health(8008, 0, t + 1000, t - 200)))).status).toBe(200);
    expect((await call(org.apiKey, `/v1/controllers/${id}`)).body).toMatchObject({
      status: 'offline',
      lastReadAt: t - 200,
    });
    const list = await call<{ controllers: { id: string; status: string }[] }>(
      org.apiKey,
      `/v1/sites/${siteId}/controllers`,
    );
    expect(list.body.controllers.find((c) => c.id === id)).toMatchObject({ status: 'offline' });
  });

  it('is offline when the health samples stopped coming (older than three poll intervals)', async () => {
    const gw = await enrollGateway(org, siteId, 'gw-stale');
    const id = await createController(org, siteId, { serial: 8009, gatewayDeviceId: gw.deviceId });
    const log = await call(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 'fast', siteId, intervalSeconds: 60, points: [{ controllerId: id, point: 'IN1' }] }),
    );
    expect(log.status).toBe(201);
    const old = Date.now() - 20 * 60_000;
    expect((await ingest(gw.deviceToken, batch('s-1', health(8009, 1, old, old)))).status).toBe(200);
    expect((await call(org.apiKey, `/v1/controllers/${id}`)).body).toMatchObject({
      status: 'offline',
      lastReadAt: old,
    });
  });

  it("counts a site's controllers by status", async () => {
    const site = await createSite(org, { name: 'Counted' });
    const gw = await enrollGateway(org, site, 'gw-count');
    await createController(org, site, { serial: 9001, gatewayDeviceId: gw.deviceId });
    await createController(org, site, { serial: 9002, gatewayDeviceId: gw.deviceId });
    await createController(org, site, { serial: 9003 });
    const t = Date.now() - 1000;
    expect((await ingest(gw.deviceToken, batch('c-1', [...health(9001, 1, t), ...health(9002, 0, t)]))).status).toBe(
      200,
    );
    expect((await call(org.apiKey, `/v1/sites/${site}`)).body).toMatchObject({
      controllerCount: 3,
      controllerStatus: { online: 1, offline: 1, unknown: 1 },
    });
    // The list counts them the same way, for every site in one answer.
    const list = (await call(org.apiKey, '/v1/sites')).body as { sites: { id: string }[] };
    expect(list.sites.find((s) => s.id === site)).toMatchObject({
      controllerCount: 3,
      controllerStatus: { online: 1, offline: 1, unknown: 1 },
    });
  });
});
