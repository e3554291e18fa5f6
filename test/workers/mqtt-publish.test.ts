import { env } from 'cloudflare:test';
import type { IPubackPacket, IPublishPacket } from 'mqtt-packet';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { mqttTopics } from '../../schema/wire/mqtt.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, seedOrg, type TestOrg } from './helpers.ts';
import { connectDevice, publish, type MqttTestClient } from './mqtt-client.ts';

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };
let other: { deviceId: string; deviceToken: string };
// Distinct timestamps per version: a repeated (series, ts) replaces a sample instead of adding one.
const now = Date.now();
const stats = () => deviceHubFor(env, device.deviceId).stats();

beforeAll(async () => {
  org = await seedOrg();
  device = await enroll(org, 'mqtt-publish');
  other = await enroll(org, 'mqtt-other');
});

const subscribeErrors = async (client: MqttTestClient) => {
  client.send({
    cmd: 'subscribe',
    messageId: 900,
    subscriptions: [{ topic: mqttTopics(device.deviceId).errors, qos: 0 }],
  });
  expect(await client.next('suback')).toMatchObject({ messageId: 900, granted: [0] });
};

for (const version of [4, 5] as const) {
  const v = version === 5 ? '5' : '3.1.1';
  const ts = now - 10_000 * (6 - version);

  describe(`MQTT ${v} PUBLISH`, () => {
    it('stores a QoS 1 batch before its PUBACK, readable through the API', async () => {
      const before = await stats();
      const client = await connectDevice(version, device);
      const id = publish(
        client,
        device.deviceId,
        batch(`mq${version}-ok`, [
          { metric: 'cpu_usage_percent', ts, value: 10 + version },
          { metric: 'load1', ts, value: 0.25 },
        ]),
      );
      const ack = (await client.next('puback')) as IPubackPacket;
      // Checked as soon as the PUBACK is in: the batch must already be stored.
      const after = await stats();
      expect(ack.messageId).toBe(id);
      expect(after.samples).toBe(before.samples + 2);
      expect(after.batches).toBe(before.batches + 1);
      if (version === 5) {
        expect(ack.reasonCode).toBe(0);
        expect(ack.properties?.userProperties).toEqual({ accepted: '2', duplicate: 'false' });
      }
      const res = await api(org.apiKey, `/v1/devices/${device.deviceId}/latest`);
      const { values } = (await res.json()) as { values: { metric: string; value: number }[] };
      expect(values.find((x) => x.metric === 'cpu_usage_percent')?.value).toBe(10 + version);
    });

    it('acknowledges a repeated batch id again but stores it once', async () => {
      const client = await connectDevice(version, device);
      const body = batch(`mq${version}-dup`, [{ metric: 'load5', ts, value: 1 }]);
      publish(client, device.deviceId, body);
      await client.next('puback');
      const before = await stats();
      publish(client, device.deviceId, body);
      const again = (await client.next('puback')) as IPubackPacket;
      if (version === 5) expect(again.properties?.userProperties).toEqual({ accepted: '0', duplicate: 'true' });
      expect(await stats()).toMatchObject({ samples: before.samples, batches: before.batches });
    });

    it('stores a QoS 0 batch without acknowledging it', async () => {
      const before = await stats();
      const client = await connectDevice(version, device);
      publish(client, device.deviceId, batch(`mq${version}-q0`, [{ metric: 'load15', ts, value: 2 }]), {
        qos: 0,
      });
      // Packets are handled in order, so the PINGRESP comes after the QoS 0 batch was stored.
      client.send({ cmd: 'pingreq' });
      expect((await client.next()).cmd).toBe('pingresp');
      expect((await stats()).samples).toBe(before.samples + 1);
    });

    it('accepts a gzip-compressed payload', async () => {
      const before = await stats();
      const client = await connectDevice(version, device);
      const body = batch(`mq${version}-gz`, [{ metric: 'mem_used_bytes', ts, value: 1e9 }]);
      publish(client, device.deviceId, gzipSync(JSON.stringify(body)));
      await client.next('puback');
      expect((await stats()).samples).toBe(before.samples + 1);
    });

    it('refuses an invalid batch, names the field, and stores nothing', async () => {
      const before = await stats();
      const client = await connectDevice(version, device);
      await subscribeErrors(client);
      publish(client, device.deviceId, {
        batchId: `mq${version}-bad`,
        samples: [{ metric: 'cpu', ts: now, value: 'high' }],
      });
      const error = (await client.next('publish')) as IPublishPacket;
      expect(error.topic).toBe(mqttTopics(device.deviceId).errors);
      expect(JSON.parse(String(error.payload))).toMatchObject({
        batchId: `mq${version}-bad`,
        code: 'invalid_input',
        field: 'samples.0.value',
      });
      const ack = (await client.next('puback')) as IPubackPacket;
      if (version === 5) {
        expect(ack.reasonCode).toBe(0x99);
        expect(ack.properties?.userProperties).toEqual({ code: 'invalid_input', field: 'samples.0.value' });
      } else {
        // 3.1.1 has no negative PUBACK: the batch is acknowledged so the client does not resend it forever.
        expect(ack.reasonCode ?? 0).toBe(0);
      }
      publish(client, device.deviceId, '{"batchId": "x", "samples": [');
      expect(JSON.parse(String(((await client.next('publish')) as IPublishPacket).payload))).toMatchObject({
        code: 'invalid_json',
      });
      await client.next('puback');
      expect(await stats()).toMatchObject({ samples: before.samples, batches: before.batches });
    });

    it('refuses a publish to another device’s topic and stores nothing there', async () => {
      const client = await connectDevice(version, device);
      publish(client, device.deviceId, batch(`mq${version}-x`, [{ metric: 'load1', ts: now, value: 1 }]), {
        topic: mqttTopics(other.deviceId).ingest,
      });
      if (version === 5) {
        expect(await client.next('puback')).toMatchObject({ reasonCode: 0x87 });
      } else {
        // 3.1.1 can only acknowledge or close; acknowledging would claim it was stored.
        await client.closed;
      }
      expect((await deviceHubFor(env, other.deviceId).stats()).batches).toBe(0);
    });

    it('closes the connection on a QoS 2 publish, which it does not offer', async () => {
      const client = await connectDevice(version, device);
      client.send({
        cmd: 'publish',
        topic: mqttTopics(device.deviceId).ingest,
        payload: '{}',
        qos: 2,
        messageId: 7,
        retain: false,
        dup: false,
      });
      if (version === 5) expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x9b });
      await client.closed;
    });
  });
}

describe('MQTT PUBLISH of a revoked device', () => {
  it('disconnects instead of acknowledging', async () => {
    const victim = await enroll(org, 'mqtt-revoked');
    const client = await connectDevice(5, victim);
    const revoke = await api(org.apiKey, `/v1/devices/${victim.deviceId}/revoke`, { method: 'POST' });
    expect(revoke.status).toBeLessThan(300);
    publish(client, victim.deviceId, batch('mq-revoked', [{ metric: 'load1', ts: now, value: 1 }]));
    expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x87 });
    await client.closed;
    expect((await deviceHubFor(env, victim.deviceId).stats()).batches).toBe(0);
  });
});
