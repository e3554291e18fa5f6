import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedOrg, type TestOrg } from './helpers.ts';
import { call, createController, createSite, enrollGateway, json } from './site-fixtures.ts';

let org: TestOrg;
let other: TestOrg;
let siteId: string;
let annex: string;
let gateway: { deviceId: string };
let ctl: string;
let annexCtl: string;
let bacCtl: string;

beforeAll(async () => {
  [org, other] = [await seedOrg(), await seedOrg()];
  siteId = await createSite(org);
  annex = await createSite(org, { name: 'Annex' });
  gateway = await enrollGateway(org, siteId);
  ctl = await createController(org, siteId, { serial: 1, gatewayDeviceId: gateway.deviceId });
  annexCtl = await createController(org, annex, { serial: 2 });
  bacCtl = await createController(org, siteId, {
    serial: 3,
    bacnetInstance: 3,
    bacnetPort: 47_809,
    gatewayDeviceId: gateway.deviceId,
  });
});

const flow = { name: 'flow', register: 'holding', address: 100, type: 'FLOAT32', byteOrder: 'CDAB', scale: 0.1 };
const logCount = async (orgId: string) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM trend_logs WHERE org_id = ?').bind(orgId).first<{ n: number }>())!.n;

describe('POST /v1/trend-logs', () => {
  it('creates a site trend log of points and raw registers, audited', async () => {
    const body = {
      name: 'Supply',
      siteId,
      intervalSeconds: 60,
      points: [
        { controllerId: ctl, point: 'IN1' },
        { controllerId: ctl, point: 'VAR128' },
      ],
      registers: [{ controllerId: ctl, spec: flow }],
    };
    const res = await call(org.apiKey, '/v1/trend-logs', json('POST', body));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...body, gatewayDeviceId: null });
    expect((await call(org.apiKey, `/v1/trend-logs/${res.body.id}`)).body).toEqual(res.body);
    const audit = await env.DB.prepare('SELECT action FROM audit_log WHERE target_id = ?').bind(res.body.id).first();
    expect(audit).toEqual({ action: 'createTrendLog' });
  });

  it("creates a gateway's trend log of its controllers; points and registers default to none", async () => {
    const res = await call(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 'Gateway', gatewayDeviceId: gateway.deviceId, intervalSeconds: 300 }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      siteId: null,
      gatewayDeviceId: gateway.deviceId,
      points: [],
      registers: [],
      bacnet: [],
    });
  });

  it.each([
    [{ name: 'x', intervalSeconds: 60 }, 'siteId', /give exactly one of siteId and gatewayDeviceId/],
    [{ name: 'x', intervalSeconds: 60, siteId: 'S', gatewayDeviceId: 'G' }, 'siteId', /exactly one/],
    [{ name: 'x', intervalSeconds: 0, siteId: 'S' }, 'intervalSeconds', /./],
    [{ name: 'x', intervalSeconds: 86_401, siteId: 'S' }, 'intervalSeconds', /./],
    [{ name: ' ', intervalSeconds: 60, siteId: 'S' }, 'name', /./],
    [
      { name: 'x', intervalSeconds: 60, siteId: 'S', points: [{ controllerId: 'C', point: 'IN0' }] },
      'points.0.point',
      /./,
    ],
    [
      {
        name: 'x',
        intervalSeconds: 60,
        siteId: 'S',
        points: [
          { controllerId: 'C', point: 'IN1' },
          { controllerId: 'C', point: 'IN1' },
        ],
      },
      'points.1',
      /listed twice/,
    ],
    [
      {
        name: 'x',
        intervalSeconds: 60,
        siteId: 'S',
        registers: [{ controllerId: 'C', spec: { ...flow, byteOrder: 'AB' } }],
      },
      'registers.0.spec.byteOrder',
      /16-bit/,
    ],
    [
      {
        name: 'x',
        intervalSeconds: 60,
        siteId: 'S',
        registers: [{ controllerId: 'C', spec: { ...flow, type: 'INT128' } }],
      },
      'registers.0.spec.type',
      /./,
    ],
    [
      {
        name: 'x',
        intervalSeconds: 60,
        siteId: 'S',
        registers: [{ controllerId: 'C', spec: { ...flow, register: 'ram' } }],
      },
      'registers.0.spec.register',
      /./,
    ],
    [
      { name: 'x', intervalSeconds: 60, siteId: 'S', bacnet: [{ controllerId: 'B', object: 'device:1' }] },
      'bacnet.0.object',
      /analog-input:3/,
    ],
    [
      { name: 'x', intervalSeconds: 60, siteId: 'S', bacnet: [{ controllerId: 'B', object: 'analog-input:4194303' }] },
      'bacnet.0.object',
      /0-4194302/,
    ],
    [
      { name: 'x', intervalSeconds: 60, siteId: 'S', bacnet: [{ controllerId: 'B', object: 'analog-input' }] },
      'bacnet.0.object',
      /./,
    ],
    [
      {
        name: 'x',
        intervalSeconds: 60,
        siteId: 'S',
        bacnet: [
          { controllerId: 'B', object: 'analog-value:1' },
          { controllerId: 'B', object: 'analog-value:1' },
        ],
      },
      'bacnet.1',
      /listed twice/,
    ],
    [
      { name: 'x', intervalSeconds: 60, siteId: 'S', bacnet: [{ controllerId: 'C', object: 'analog-input:1' }] },
      'bacnet.0.controllerId',
      /has no BACnet instance/,
    ],
  ])('refuses %j with 400 naming %s', async (raw, field, message) => {
    const fill = (v: unknown): unknown =>
      v === 'S'
        ? siteId
        : v === 'G'
          ? gateway.deviceId
          : v === 'C'
            ? ctl
            : v === 'B'
              ? bacCtl
              : Array.isArray(v)
                ? v.map(fill)
                : v && typeof v === 'object'
                  ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]))
                  : v;
    const before = await logCount(org.orgId);
    const res = await call<{ error: { field: string; message: string } }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', fill(raw)),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message).toMatch(message);
    expect(await logCount(org.orgId)).toBe(before);
  });

  it('refuses entries on controllers outside its scope or organisation, naming the entry', async () => {
    const theirSite = await createSite(other);
    const theirs = await createController(other, theirSite, { serial: 9 });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        {
          siteId,
          points: [
            { controllerId: ctl, point: 'IN1' },
            { controllerId: annexCtl, point: 'IN1' },
          ],
        },
        'points.1.controllerId',
        /is not at site/,
      ],
      [
        { siteId, points: [{ controllerId: theirs, point: 'IN1' }] },
        'points.0.controllerId',
        /no controller .* in this organisation/,
      ],
      [
        { gatewayDeviceId: gateway.deviceId, registers: [{ controllerId: annexCtl, spec: flow }] },
        'registers.0.controllerId',
        /is not polled by gateway/,
      ],
      [
        { siteId: annex, bacnet: [{ controllerId: bacCtl, object: 'analog-input:1' }] },
        'bacnet.0.controllerId',
        /is not at site/,
      ],
      [{ siteId: theirSite }, 'siteId', /no site/],
    ];
    for (const [scope, field, message] of cases) {
      const res = await call<{ error: { field: string; message: string } }>(
        org.apiKey,
        '/v1/trend-logs',
        json('POST', { name: 'x', intervalSeconds: 60, ...scope }),
      );
      expect(res.status, JSON.stringify(scope)).toBe(400);
      expect(res.body.error).toMatchObject({ field });
      expect(res.body.error.message).toMatch(message);
    }
  });

  it('needs sites.write', async () => {
    const reader = await seedOrg(['read']);
    expect(
      (await call(reader.apiKey, '/v1/trend-logs', json('POST', { name: 'x', siteId, intervalSeconds: 60 }))).status,
    ).toBe(403);
    expect((await call(reader.apiKey, '/v1/trend-logs')).status).toBe(200);
  });
});

describe('BACnet entries of a trend log', () => {
  it('stores BACnet objects of a BACnet controller, and a PATCH replaces the list', async () => {
    const bacnet = [
      { controllerId: bacCtl, object: 'analog-input:3' },
      { controllerId: bacCtl, object: 'multi-state-value:4194302' },
    ];
    const res = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 'BACnet', siteId, intervalSeconds: 30, bacnet }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ points: [], registers: [], bacnet });
    const stored = await env.DB.prepare('SELECT bacnet FROM trend_logs WHERE id = ?').bind(res.body.id).first();
    expect(JSON.parse(String(stored!.bacnet))).toEqual(bacnet);

    const patched = await call(
      org.apiKey,
      `/v1/trend-logs/${res.body.id}`,
      json('PATCH', { bacnet: [{ controllerId: bacCtl, object: 'binary-input:0' }] }),
    );
    expect(patched.status).toBe(200);
    expect((await call(org.apiKey, `/v1/trend-logs/${res.body.id}`)).body).toMatchObject({
      bacnet: [{ controllerId: bacCtl, object: 'binary-input:0' }],
    });

    const bad = await call<{ error: { field: string } }>(
      org.apiKey,
      `/v1/trend-logs/${res.body.id}`,
      json('PATCH', { bacnet: [{ controllerId: ctl, object: 'binary-input:0' }] }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('bacnet.0.controllerId');
    expect((await call(org.apiKey, `/v1/trend-logs/${res.body.id}`)).body).toMatchObject({
      bacnet: [{ controllerId: bacCtl, object: 'binary-input:0' }],
    });
  });
});

describe('BACnet entries when their controller goes', () => {
  it("drops a deleted controller's BACnet entries and keeps the others, so the trend log stays valid", async () => {
    const a = await createController(org, siteId, { serial: 8001, bacnetInstance: 8001 });
    const b = await createController(org, siteId, { serial: 8002, bacnetInstance: 8002 });
    const log = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', {
        name: 'two devices',
        siteId,
        intervalSeconds: 30,
        bacnet: [
          { controllerId: a, object: 'analog-input:1' },
          { controllerId: b, object: 'analog-input:1' },
        ],
      }),
    );
    expect(log.status).toBe(201);
    expect((await call(org.apiKey, `/v1/controllers/${a}`, { method: 'DELETE' })).status).toBe(200);
    expect((await call(org.apiKey, `/v1/trend-logs/${log.body.id}`)).body).toMatchObject({
      bacnet: [{ controllerId: b, object: 'analog-input:1' }],
    });
    expect((await call(org.apiKey, `/v1/trend-logs/${log.body.id}`, json('PATCH', { name: 'one' }))).status).toBe(200);
  });
});

describe('GET, PATCH, DELETE /v1/trend-logs', () => {
  it("lists the org's trend logs by name, filtered by site or gateway", async () => {
    const mine = await seedOrg();
    const site = await createSite(mine);
    const gw = await enrollGateway(mine, site);
    for (const name of ['b', 'a']) {
      await call(mine.apiKey, '/v1/trend-logs', json('POST', { name, siteId: site, intervalSeconds: 60 }));
    }
    await call(
      mine.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 'c', gatewayDeviceId: gw.deviceId, intervalSeconds: 60 }),
    );
    const names = async (q: string) =>
      (await call<{ trendLogs: { name: string }[] }>(mine.apiKey, `/v1/trend-logs${q}`)).body.trendLogs.map(
        (t) => t.name,
      );
    expect(await names('')).toEqual(['a', 'b', 'c']);
    expect(await names(`?siteId=${site}`)).toEqual(['a', 'b']);
    expect(await names(`?gatewayDeviceId=${gw.deviceId}`)).toEqual(['c']);
  });

  it('replaces the fields given, checks the new entries against the scope, and keeps the scope', async () => {
    const created = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 'p', siteId, intervalSeconds: 60, points: [{ controllerId: ctl, point: 'IN1' }] }),
    );
    const id = created.body.id;
    const res = await call(
      org.apiKey,
      `/v1/trend-logs/${id}`,
      json('PATCH', { intervalSeconds: 15, points: [{ controllerId: ctl, point: 'OUT2' }] }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'p',
      siteId,
      intervalSeconds: 15,
      points: [{ controllerId: ctl, point: 'OUT2' }],
    });
    const bad = await call<{ error: { field: string } }>(
      org.apiKey,
      `/v1/trend-logs/${id}`,
      json('PATCH', { points: [{ controllerId: annexCtl, point: 'IN1' }] }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('points.0.controllerId');
    const scope = await call<{ error: { field: string } }>(
      org.apiKey,
      `/v1/trend-logs/${id}`,
      json('PATCH', { siteId: annex }),
    );
    expect(scope.status).toBe(400);
    expect(scope.body.error.field).toBe('siteId');
    expect((await call(org.apiKey, `/v1/trend-logs/${id}`)).body).toMatchObject({ intervalSeconds: 15, siteId });
  });

  it('deletes a trend log', async () => {
    const created = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 'd', siteId, intervalSeconds: 60 }),
    );
    const id = created.body.id;
    expect((await call(org.apiKey, `/v1/trend-logs/${id}`, { method: 'DELETE' })).body).toEqual({ id });
    expect((await call(org.apiKey, `/v1/trend-logs/${id}`)).status).toBe(404);
    expect((await call(org.apiKey, `/v1/trend-logs/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it("answers 404 for another organisation's trend log", async () => {
    const theirSite = await createSite(other);
    const theirs = await call<{ id: string }>(
      other.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 't', siteId: theirSite, intervalSeconds: 60 }),
    );
    for (const [method, body] of [['GET'], ['PATCH', { name: 'mine' }], ['DELETE']] as const) {
      const res = await call(org.apiKey, `/v1/trend-logs/${theirs.body.id}`, body ? json(method, body) : { method });
      expect(res.status, method).toBe(404);
    }
    expect((await call(other.apiKey, `/v1/trend-logs/${theirs.body.id}`)).body).toMatchObject({ name: 't' });
  });
});
