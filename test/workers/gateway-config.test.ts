import type { IPublishPacket, ISubackPacket } from 'mqtt-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { remoteAgentConfig } from '../../schema/wire/agent-config.ts';
import { gatewayConfig } from '../../schema/wire/gateway.ts';
import { mqttTopics, type MqttConfigMessage } from '../../schema/wire/mqtt.ts';
import { enroll, seedOrg, type TestOrg } from './helpers.ts';
import { connectDevice } from './mqtt-client.ts';
import { agentConfig, call, createController, createSite, enrollGateway, json } from './site-fixtures.ts';

/** The `gateway` section of a gateway's remote config: computed from D1, with an ETag that follows it. */

let org: TestOrg;

beforeAll(async () => {
  org = await seedOrg();
});

const flow = { name: 'flow', register: 'holding', address: 100, type: 'FLOAT32' };

describe('GET /v1/agents/config for a gateway', () => {
  it('has no gateway section for a host', async () => {
    const host = await enroll(org, 'host-cfg');
    const { config } = await agentConfig(host.deviceToken);
    expect(config).not.toHaveProperty('gateway');
  });

  it("lists the gateway's controllers and its site's discovery settings, valid for the agent's schema", async () => {
    const siteId = await createSite(org, { discovery: { intervalSeconds: 1200, targets: [{ host: '10.0.5.9' }] } });
    const gw = await enrollGateway(org, siteId);
    await createController(org, siteId, {
      serial: 20,
      ip: '10.0.5.20',
      port: 5020,
      modbusId: 3,
      timeoutMs: 8000,
      gatewayDeviceId: gw.deviceId,
    });
    await createController(org, siteId, { serial: 10, ip: '10.0.5.10', gatewayDeviceId: gw.deviceId });
    // At the site, but polled by nobody: not this gateway's.
    await createController(org, siteId, { serial: 30, ip: '10.0.5.30' });
    const { status, config } = await agentConfig(gw.deviceToken);
    expect(status).toBe(200);
    expect(config!.gateway).toEqual({
      controllers: [
        { id: '10', serial: 10, host: '10.0.5.10', port: 502, unit: 1, timeoutMs: 5000 },
        { id: '20', serial: 20, host: '10.0.5.20', port: 5020, unit: 3, timeoutMs: 8000 },
      ],
      trendLogs: [],
      discovery: { enabled: true, intervalSeconds: 1200, targets: [{ host: '10.0.5.9', port: 1234 }] },
    });
    expect(remoteAgentConfig.safeParse(config).success).toBe(true);
  });

  it('turns discovery off for a gateway without a site', async () => {
    const gw = await enrollGateway(org, null, 'gw-nosite');
    expect((await agentConfig(gw.deviceToken)).config!.gateway).toEqual({
      controllers: [],
      trendLogs: [],
      discovery: { enabled: false, intervalSeconds: 600, targets: [] },
    });
  });

  it('changes its ETag when a trend log, a controller or the site changes, and answers 304 in between', async () => {
    const siteId = await createSite(org);
    const gw = await enrollGateway(org, siteId);
    const ctl = await createController(org, siteId, { serial: 77, gatewayDeviceId: gw.deviceId });
    const first = await agentConfig(gw.deviceToken);
    expect((await agentConfig(gw.deviceToken, first.etag!)).status).toBe(304);

    const log = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', {
        name: 'Temps',
        siteId,
        intervalSeconds: 60,
        points: [{ controllerId: ctl, point: 'IN1' }],
        registers: [{ controllerId: ctl, spec: flow }],
      }),
    );
    expect(log.status).toBe(201);
    const second = await agentConfig(gw.deviceToken, first.etag!);
    expect(second.status).toBe(200);
    expect(second.etag).not.toBe(first.etag);
    expect(second.config!.gateway!.trendLogs).toEqual([
      {
        id: log.body.id,
        intervalSeconds: 60,
        points: [{ controller: '77', point: 'IN1' }],
        registers: [{ controller: '77', spec: flow }],
      },
    ]);
    expect((await agentConfig(gw.deviceToken, second.etag!)).status).toBe(304);

    await call(org.apiKey, `/v1/trend-logs/${log.body.id}`, json('PATCH', { intervalSeconds: 15 }));
    const third = await agentConfig(gw.deviceToken, second.etag!);
    expect(third.status).toBe(200);
    expect(third.config!.gateway!.trendLogs[0]!.intervalSeconds).toBe(15);

    await call(org.apiKey, `/v1/controllers/${ctl}`, json('PATCH', { port: 5020 }));
    const fourth = await agentConfig(gw.deviceToken, third.etag!);
    expect(fourth.status).toBe(200);
    expect(fourth.config!.gateway!.controllers[0]!.port).toBe(5020);

    await call(org.apiKey, `/v1/sites/${siteId}`, json('PATCH', { discovery: { enabled: false } }));
    const fifth = await agentConfig(gw.deviceToken, fourth.etag!);
    expect(fifth.status).toBe(200);
    expect(fifth.config!.gateway!.discovery.enabled).toBe(false);

    // A label is not part of the config: the ETag stays.
    await call(org.apiKey, `/v1/controllers/${ctl}`, json('PATCH', { label: 'Boiler' }));
    expect((await agentConfig(gw.deviceToken, fifth.etag!)).status).toBe(304);

    await call(org.apiKey, `/v1/trend-logs/${log.body.id}`, { method: 'DELETE' });
    const sixth = await agentConfig(gw.deviceToken, fifth.etag!);
    expect(sixth.status).toBe(200);
    expect(sixth.config!.gateway!.trendLogs).toEqual([]);
  });

  it("gives each gateway only its own controllers' entries of a site trend log", async () => {
    const siteId = await createSite(org);
    const [a, b, idle] = [
      await enrollGateway(org, siteId, 'gw-a'),
      await enrollGateway(org, siteId, 'gw-b'),
      await enrollGateway(org, siteId, 'gw-idle'),
    ];
    const onA = await createController(org, siteId, { serial: 501, gatewayDeviceId: a.deviceId });
    const onB = await createController(org, siteId, { serial: 502, gatewayDeviceId: b.deviceId });
    const log = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', {
        name: 'Both',
        siteId,
        intervalSeconds: 30,
        points: [
          { controllerId: onA, point: 'IN1' },
          { controllerId: onB, point: 'OUT1' },
        ],
      }),
    );
    const logsOf = async (token: string) => (await agentConfig(token)).config!.gateway!.trendLogs;
    expect(await logsOf(a.deviceToken)).toEqual([
      { id: log.body.id, intervalSeconds: 30, points: [{ controller: '501', point: 'IN1' }], registers: [] },
    ]);
    expect(await logsOf(b.deviceToken)).toEqual([
      { id: log.body.id, intervalSeconds: 30, points: [{ controller: '502', point: 'OUT1' }], registers: [] },
    ]);
    expect(await logsOf(idle.deviceToken)).toEqual([]);

    // Moving a controller to another gateway moves its entries with it.
    await call(org.apiKey, `/v1/controllers/${onB}`, json('PATCH', { gatewayDeviceId: a.deviceId }));
    expect((await logsOf(a.deviceToken))[0]!.points).toEqual([
      { controller: '501', point: 'IN1' },
      { controller: '502', point: 'OUT1' },
    ]);
    expect(await logsOf(b.deviceToken)).toEqual([]);
  });

  it("carries BACnet devices and a trend log's BACnet objects, and leaves them out where there are none", async () => {
    const siteId = await createSite(org);
    const gw = await enrollGateway(org, siteId, 'gw-bacnet');
    const bac = await createController(org, siteId, {
      serial: 601,
      ip: '10.0.6.1',
      bacnetInstance: 601,
      bacnetPort: 47_809,
      gatewayDeviceId: gw.deviceId,
    });
    // An instance without a port: BACnet/IP's standard port.
    const std = await createController(org, siteId, { serial: 602, bacnetInstance: 9, gatewayDeviceId: gw.deviceId });
    const plain = await createController(org, siteId, { serial: 603, gatewayDeviceId: gw.deviceId });
    const before = await agentConfig(gw.deviceToken);
    // As the agent parses it.
    const controllers = gatewayConfig.parse(before.config!.gateway).controllers;
    expect(controllers.map((c) => [c.id, c.bacnet])).toEqual([
      ['601', { instance: 601, port: 47_809 }],
      ['602', { instance: 9, port: 47_808 }],
      ['603', undefined],
    ]);
    expect(before.config!.gateway!.controllers[2]).not.toHaveProperty('bacnet');

    const log = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', {
        name: 'BACnet',
        siteId,
        intervalSeconds: 20,
        points: [{ controllerId: plain, point: 'IN1' }],
        bacnet: [
          { controllerId: bac, object: 'analog-input:3' },
          { controllerId: std, object: 'binary-value:0' },
        ],
      }),
    );
    expect(log.status).toBe(201);
    const after = await agentConfig(gw.deviceToken, before.etag!);
    expect(after.status).toBe(200);
    expect(after.config!.gateway!.trendLogs).toEqual([
      {
        id: log.body.id,
        intervalSeconds: 20,
        points: [{ controller: '603', point: 'IN1' }],
        registers: [],
        bacnet: [
          { controller: '601', object: 'analog-input:3' },
          { controller: '602', object: 'binary-value:0' },
        ],
      },
    ]);
    expect(remoteAgentConfig.safeParse(after.config).success).toBe(true);

    // Without BACnet entries the trend log has no `bacnet` key, which agents before it would refuse.
    await call(org.apiKey, `/v1/trend-logs/${log.body.id}`, json('PATCH', { bacnet: [] }));
    const cleared = await agentConfig(gw.deviceToken, after.etag!);
    expect(cleared.status).toBe(200);
    expect(cleared.config!.gateway!.trendLogs[0]).not.toHaveProperty('bacnet');

    // A controller entered without BACnet gets its device later by PATCH; the gateway's config follows.
    const patched = await call(org.apiKey, `/v1/controllers/${plain}`, json('PATCH', { bacnetInstance: 603 }));
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ bacnetInstance: 603, bacnetPort: null });
    const withDevice = await agentConfig(gw.deviceToken, cleared.etag!);
    expect(withDevice.status).toBe(200);
    expect(gatewayConfig.parse(withDevice.config!.gateway).controllers[2]!.bacnet).toEqual({
      instance: 603,
      port: 47_808,
    });
  });

  it("follows the gateway to another site: that site's discovery settings", async () => {
    const here = await createSite(org, { discovery: { intervalSeconds: 900 } });
    const there = await createSite(org, { discovery: { enabled: false } });
    const gw = await enrollGateway(org, here, 'gw-moving');
    const before = await agentConfig(gw.deviceToken);
    expect(before.config!.gateway!.discovery).toMatchObject({ enabled: true, intervalSeconds: 900 });
    expect((await call(org.apiKey, `/v1/devices/${gw.deviceId}`, json('PATCH', { siteId: there }))).status).toBe(200);
    const after = await agentConfig(gw.deviceToken, before.etag!);
    expect(after.status).toBe(200);
    expect(after.config!.gateway!.discovery).toMatchObject({ enabled: false, intervalSeconds: 600 });
  });

  it('cannot be set by hand: the org and device configs refuse a gateway section', async () => {
    const gateway = {
      controllers: [],
      trendLogs: [],
      discovery: { enabled: false, intervalSeconds: 600, targets: [] },
    };
    const res = await call<{ error: { field: string } }>(org.apiKey, '/v1/agent-config', json('PUT', { gateway }));
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('gateway');
  });
});

describe('MQTT config delivery to a gateway', () => {
  it('pushes the new config with the trend log as soon as it is created', async () => {
    const siteId = await createSite(org);
    const gw = await enrollGateway(org, siteId, 'gw-mqtt');
    const ctl = await createController(org, siteId, { serial: 909, gatewayDeviceId: gw.deviceId });
    const client = await connectDevice(4, gw);
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: mqttTopics(gw.deviceId).config, qos: 1 }] });
    expect(((await client.next('suback')) as ISubackPacket).granted).toEqual([0]);
    const initial = JSON.parse(String(((await client.next('publish')) as IPublishPacket).payload)) as MqttConfigMessage;
    expect(initial.config.gateway?.trendLogs).toEqual([]);

    const log = await call<{ id: string }>(
      org.apiKey,
      '/v1/trend-logs',
      json('POST', { name: 'Live', siteId, intervalSeconds: 10, points: [{ controllerId: ctl, point: 'VAR1' }] }),
    );
    const change = JSON.parse(String(((await client.next('publish')) as IPublishPacket).payload)) as MqttConfigMessage;
    expect(change.config.gateway?.trendLogs).toEqual([
      { id: log.body.id, intervalSeconds: 10, points: [{ controller: '909', point: 'VAR1' }], registers: [] },
    ]);
    expect(change.etag).toBe((await agentConfig(gw.deviceToken)).etag);
  });
});
