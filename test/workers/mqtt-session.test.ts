import { env, evictDurableObject } from 'cloudflare:test';
import { generate, type IPublishPacket, type ISubackPacket } from 'mqtt-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { mqttTopics, type MqttConfigMessage } from '../../schema/wire/mqtt.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, seedOrg, type TestOrg } from './helpers.ts';
import { connectDevice, deviceEvents, eventually, type MqttTestClient } from './mqtt-client.ts';

let org: TestOrg;

beforeAll(async () => {
  org = await seedOrg();
});

const offlineEvents = (deviceId: string) => deviceEvents(deviceId, 'device.offline');

async function subscribeConfig(client: MqttTestClient, deviceId: string): Promise<MqttConfigMessage> {
  client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: mqttTopics(deviceId).config, qos: 1 }] });
  expect(((await client.next('suback')) as ISubackPacket).granted).toEqual([0]);
  const msg = (await client.next('publish')) as IPublishPacket;
  expect(msg).toMatchObject({ topic: mqttTopics(deviceId).config, qos: 0, retain: true });
  return JSON.parse(String(msg.payload)) as MqttConfigMessage;
}

const putConfig = (deviceId: string, body: unknown) =>
  api(org.apiKey, `/v1/devices/${deviceId}/agent-config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

for (const version of [4, 5] as const) {
  describe(`MQTT ${version === 5 ? '5' : '3.1.1'} config delivery`, () => {
    it('sends the effective config on subscribe and every change an admin makes', async () => {
      const device = await enroll(org, `cfg-${version}`);
      const client = await connectDevice(version, device);
      const initial = await subscribeConfig(client, device.deviceId);
      expect(initial.config).toMatchObject({ probes: [], processes: [] });
      const poll = await api(device.deviceToken, '/v1/agents/config');
      expect(initial.etag).toBe(poll.headers.get('etag'));

      const probes = [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 }];
      expect((await putConfig(device.deviceId, { probes })).status).toBe(200);
      const change = (await client.next('publish')) as IPublishPacket;
      expect(change).toMatchObject({ topic: mqttTopics(device.deviceId).config, retain: false });
      const update = JSON.parse(String(change.payload)) as MqttConfigMessage;
      expect(update.config.probes).toEqual(probes);
      expect(update.etag).not.toBe(initial.etag);
      const polled = await api(device.deviceToken, '/v1/agents/config');
      expect(update.etag).toBe(polled.headers.get('etag'));
    });

    it('refuses a subscription to another topic in its SUBACK', async () => {
      const device = await enroll(org, `sub-${version}`);
      const client = await connectDevice(version, device);
      client.send({
        cmd: 'subscribe',
        messageId: 3,
        subscriptions: [
          { topic: 'edgewatch/v1/devices/+/config', qos: 0 },
          { topic: mqttTopics(device.deviceId).errors, qos: 0 },
        ],
      });
      expect(await client.next('suback')).toMatchObject({ messageId: 3, granted: [version === 5 ? 0x87 : 0x80, 0] });
    });
  });

  describe(`MQTT ${version === 5 ? '5' : '3.1.1'} offline events`, () => {
    it('records device.offline when the connection closes without DISCONNECT', async () => {
      const device = await enroll(org, `abrupt-${version}`);
      const client = await connectDevice(version, device, { will: { topic: 'status/gone', payload: 'bye' } });
      client.send({ cmd: 'pingreq' });
      await client.next('pingresp');
      client.ws.close(1001, 'gone');
      const [offline] = await eventually(async () => {
        const rows = await offlineEvents(device.deviceId);
        return rows.length > 0 ? rows : undefined;
      });
      const [online] = await deviceEvents(device.deviceId, 'device.online');
      expect(offline!.subject).toBe(`org.${org.orgId}.site._.device.${device.deviceId}.event.device_offline`);
      expect(offline!.data).toMatchObject({ reason: 'connection_lost', transport: 'mqtt', willTopic: 'status/gone' });
      expect(offline!.correlation_id).toBe(online!.correlation_id);
    });

    it('records no offline event after a clean DISCONNECT', async () => {
      const device = await enroll(org, `clean-${version}`);
      const client = await connectDevice(version, device);
      client.send({ cmd: 'disconnect' });
      await client.closed;
      await new Promise((r) => setTimeout(r, 300));
      expect(await offlineEvents(device.deviceId)).toEqual([]);
    });

    it('closes a client silent for 1.5 times its keepalive and records keepalive_timeout', async () => {
      const device = await enroll(org, `silent-${version}`);
      const client = await connectDevice(version, device, { keepalive: 1 });
      if (version === 5) expect(await client.next('disconnect', 4000)).toMatchObject({ reasonCode: 0x8d });
      await client.closed;
      const [offline] = await eventually(async () => {
        const rows = await offlineEvents(device.deviceId);
        return rows.length > 0 ? rows : undefined;
      });
      expect(offline!.data).toMatchObject({ reason: 'keepalive_timeout', transport: 'mqtt' });
    });
  });
}

describe('MQTT 5 DISCONNECT with will (reason 0x04)', () => {
  it('counts as going offline', async () => {
    const device = await enroll(org, 'will-5');
    const client = await connectDevice(5, device);
    client.send({ cmd: 'disconnect', reasonCode: 0x04 });
    await client.closed;
    const [offline] = await eventually(async () => {
      const rows = await offlineEvents(device.deviceId);
      return rows.length > 0 ? rows : undefined;
    });
    expect(offline!.data).toMatchObject({ reason: 'disconnect_with_will' });
  });
});

describe('MQTT session hibernation', () => {
  it('keeps the device, subscriptions and a partial packet across an eviction of its object', async () => {
    const device = await enroll(org, 'hibernate');
    const client = await connectDevice(5, device);
    await subscribeConfig(client, device.deviceId);
    const [online] = await deviceEvents(device.deviceId, 'device.online');
    const session = env.MQTT_SESSION.get(env.MQTT_SESSION.idFromString(online!.correlation_id!));
    const packet = generate(
      {
        cmd: 'publish',
        topic: mqttTopics(device.deviceId).ingest,
        payload: JSON.stringify(batch('hib-1', [{ metric: 'load1', ts: Date.now(), value: 3 }])),
        qos: 1,
        messageId: 42,
        retain: false,
        dup: false,
      },
      { protocolVersion: 5 },
    );
    client.sendRaw(packet.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 100));
    await evictDurableObject(session);
    client.sendRaw(packet.subarray(10));
    await expect(client.next('puback')).resolves.toMatchObject({ messageId: 42, reasonCode: 0 });
    expect((await deviceHubFor(env, device.deviceId).stats()).samples).toBe(1);

    expect((await putConfig(device.deviceId, { disabled: ['ntp'] })).status).toBe(200);
    const change = (await client.next('publish')) as IPublishPacket;
    expect((JSON.parse(String(change.payload)) as MqttConfigMessage).config.disabled).toEqual(['ntp']);
  });
});
