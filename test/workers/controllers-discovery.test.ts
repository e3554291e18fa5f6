import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveredController } from '../../agent/src/gateway/discovery-protocol.ts';
import type { DiscoveredControllerReport } from '../../schema/wire/gateway.ts';
import { enroll, seedOrg, type TestOrg } from './helpers.ts';
import { call, createController, createSite, enrollGateway, json } from './site-fixtures.ts';

/** POST /v1/agents/gateway/discovered: a gateway's discovery round, upserted by serial number. */

let org: TestOrg;
let siteId: string;
let gateway: { deviceId: string; deviceToken: string };

beforeAll(async () => {
  org = await seedOrg();
  siteId = await createSite(org);
  gateway = await enrollGateway(org, siteId);
});

/** What the agent reports is what the route takes: this fails to compile if the two drift apart. */
const asReport = (c: DiscoveredController): DiscoveredControllerReport => c;

/** One controller as the agent's `parseDiscoveryReply` gives it. */
const found = (serial: number, overrides: Record<string, unknown> = {}) => ({
  serial,
  productId: 74,
  modbusId: 1,
  ip: '192.168.1.20',
  port: 502,
  firmware: 6502,
  parentSerial: null,
  panelNumber: 1,
  panelName: 'AHU-1',
  bacnetInstance: 1234,
  bacnetPort: 47808,
  replyFrom: '192.168.1.20:1234',
  ...overrides,
});

function report(deviceToken: string, body: unknown) {
  return SELF.fetch('http://test/v1/agents/gateway/discovered', {
    method: 'POST',
    headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

interface Controller {
  id: string;
  serial: number;
  siteId: string;
  gatewayDeviceId: string | null;
  ip: string;
  source: string;
  label: string | null;
  discoveredAt: number | null;
  updatedAt: number;
}

const controllersOf = async (site: string) =>
  (await call<{ controllers: Controller[] }>(org.apiKey, `/v1/sites/${site}/controllers`)).body.controllers;

describe('POST /v1/agents/gateway/discovered', () => {
  it("adds new controllers to the gateway's site, polled by it, with everything the reply held", async () => {
    const at = Date.now() - 2000;
    const res = await report(gateway.deviceToken, {
      at,
      controllers: [found(101), found(102, { ip: '192.168.1.21', parentSerial: 101, panelName: null })],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { created: number; controllers: { serial: number; id: string }[] };
    expect(body).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    const list = await controllersOf(siteId);
    expect(list.map((c) => c.serial)).toEqual([101, 102]);
    expect(body.controllers).toEqual(list.map((c) => ({ serial: c.serial, id: c.id })));
    expect(list[0]).toMatchObject({
      siteId,
      gatewayDeviceId: gateway.deviceId,
      source: 'discovery',
      productId: 74,
      modbusId: 1,
      ip: '192.168.1.20',
      port: 502,
      firmware: 6502,
      panelNumber: 1,
      panelName: 'AHU-1',
      bacnetInstance: 1234,
      bacnetPort: 47808,
      parentSerial: null,
      discoveredAt: at,
      status: 'unknown',
    });
    expect(list[1]).toMatchObject({ parentSerial: 101, panelName: null, ip: '192.168.1.21' });
  });

  it('is idempotent: the same round again creates and changes nothing, and keeps the ids', async () => {
    const before = await controllersOf(siteId);
    const round = { controllers: [found(101), found(102, { ip: '192.168.1.21', parentSerial: 101, panelName: null })] };
    const res = await report(gateway.deviceToken, round);
    expect(await res.json()).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    const after = await controllersOf(siteId);
    expect(after.map((c) => [c.id, c.updatedAt])).toEqual(before.map((c) => [c.id, c.updatedAt]));
  });

  it('updates what a known controller now reports and keeps the label an operator gave it', async () => {
    const [first] = await controllersOf(siteId);
    await call(org.apiKey, `/v1/controllers/${first!.id}`, json('PATCH', { label: 'Roof AHU' }));
    const res = await report(gateway.deviceToken, {
      controllers: [found(101, { ip: '192.168.1.50', firmware: 6600 })],
    });
    expect(await res.json()).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    expect((await call(org.apiKey, `/v1/controllers/${first!.id}`)).body).toMatchObject({
      ip: '192.168.1.50',
      firmware: 6600,
      label: 'Roof AHU',
      siteId,
    });
  });

  it('gives a controller entered by hand (no gateway) to the reporting gateway, keeping its site', async () => {
    const annex = await createSite(org, { name: 'Annex' });
    const id = await createController(org, annex, { serial: 303, ip: '10.1.1.1' });
    const res = await report(gateway.deviceToken, { controllers: [found(303, { ip: '10.1.1.1' })] });
    expect(await res.json()).toMatchObject({ updated: 1, controllers: [{ serial: 303, id }] });
    expect((await call(org.apiKey, `/v1/controllers/${id}`)).body).toMatchObject({
      siteId: annex,
      gatewayDeviceId: gateway.deviceId,
      source: 'manual',
    });
  });

  it('keeps the gateway a controller already has when a second gateway hears it too', async () => {
    const second = await enrollGateway(org, siteId, 'gw-2');
    await report(second.deviceToken, { controllers: [found(101, { ip: '192.168.1.50', firmware: 6600 })] });
    const c = (await controllersOf(siteId)).find((x) => x.serial === 101)!;
    expect(c.gatewayDeviceId).toBe(gateway.deviceId);
  });

  it("takes the reply's source address for a controller that reports 0.0.0.0", async () => {
    await report(gateway.deviceToken, { controllers: [found(404, { ip: '0.0.0.0', replyFrom: '10.9.8.7:1234' })] });
    expect((await controllersOf(siteId)).find((x) => x.serial === 404)).toMatchObject({ ip: '10.9.8.7' });
  });

  it('leaves controllers of the same serial in another organisation alone', async () => {
    const other = await seedOrg();
    const theirSite = await createSite(other);
    const theirs = await enrollGateway(other, theirSite);
    await report(theirs.deviceToken, { controllers: [found(101, { ip: '172.16.0.1' })] });
    expect((await controllersOf(siteId)).find((x) => x.serial === 101)).toMatchObject({ ip: '192.168.1.50' });
    const their = await call<{ controllers: Controller[] }>(other.apiKey, `/v1/sites/${theirSite}/controllers`);
    expect(their.body.controllers).toMatchObject([{ serial: 101, ip: '172.16.0.1', gatewayDeviceId: theirs.deviceId }]);
  });

  it('answers 409 to a host device and to a gateway without a site, storing nothing', async () => {
    const host = await enroll(org, 'a-host');
    const hostRes = await report(host.deviceToken, { controllers: [found(505)] });
    expect(hostRes.status).toBe(409);
    expect(((await hostRes.json()) as { error: { code: string } }).error.code).toBe('not_a_gateway');
    const homeless = await enrollGateway(org, null, 'gw-homeless');
    const res = await report(homeless.deviceToken, { controllers: [found(505)] });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('gateway_without_site');
    expect((await controllersOf(siteId)).some((c) => c.serial === 505)).toBe(false);
  });

  it.each([
    [{ controllers: [found(1, { ip: '300.1.1.1' })] }, 'controllers.0.ip'],
    [{ controllers: [found(-1)] }, 'controllers.0.serial'],
    [{ controllers: [found(1, { bacnetInstance: 4_194_303 })] }, 'controllers.0.bacnetInstance'],
    [{ controllers: [found(1), found(1)] }, 'controllers.1.serial'],
    [{ controllers: [found(1)], extra: true }, 'extra'],
    [{}, 'controllers'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await report(gateway.deviceToken, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
  });

  it('upserts a round of 300 controllers in one request, and again idempotently', async () => {
    const site = await createSite(org, { name: 'Campus' });
    const gw = await enrollGateway(org, site, 'gw-campus');
    const round = {
      controllers: Array.from({ length: 300 }, (_, i) =>
        asReport({ ...found(100_000 + i), ip: `10.${Math.floor(i / 250)}.0.${(i % 250) + 1}` } as DiscoveredController),
      ),
    };
    const first = await report(gw.deviceToken, round);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ created: 300, updated: 0, unchanged: 0 });
    expect(await controllersOf(site)).toHaveLength(300);
    expect(await (await report(gw.deviceToken, round)).json()).toMatchObject({ created: 0, unchanged: 300 });
    const { config } = (await (
      await SELF.fetch('http://test/v1/agents/config', { headers: { authorization: `Bearer ${gw.deviceToken}` } })
    ).json()) as { config: { gateway: { controllers: unknown[] } } };
    expect(config.gateway.controllers).toHaveLength(300);
  });

  it('refuses an API key and a missing token with 401', async () => {
    const withKey = await SELF.fetch('http://test/v1/agents/gateway/discovered', {
      method: 'POST',
      headers: { authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ controllers: [] }),
    });
    expect(withKey.status).toBe(401);
    const without = await SELF.fetch('http://test/v1/agents/gateway/discovered', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ controllers: [] }),
    });
    expect(without.status).toBe(401);
  });
});
