import { env } from 'cloudflare:test';
import type { IPubackPacket, IPublishPacket } from 'mqtt-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { mqttTopics } from '../../schema/wire/mqtt.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { batch, enroll, seedOrg } from './helpers.ts';
import { connectDevice, publish, type MqttTestClient } from './mqtt-client.ts';

let device: { deviceId: string; deviceToken: string };
const now = Date.now();
const stats = () => deviceHubFor(env, device.deviceId).stats();

beforeAll(async () => {
  device = await enroll(await seedOrg(), 'mqtt-refusals');
});

async function subscribeErrors(client: MqttTestClient) {
  client.send({
    cmd: 'subscribe',
    messageId: 900,
    subscriptions: [{ topic: mqttTopics(device.deviceId).errors, qos: 0 }],
  });
  expect(await client.next('suback')).toMatchObject({ granted: [0] });
}

/** The refusal as the client sees it: the errors-topic message, then the PUBACK (negative on MQTT 5). */
async function expectRefused(client: MqttTestClient, code: string, field: string) {
  const error = (await client.next('publish')) as IPublishPacket;
  expect(JSON.parse(String(error.payload))).toMatchObject({ code, field });
  const ack = (await client.next('puback')) as IPubackPacket;
  if (client.version === 5) {
    expect(ack.reasonCode).toBe(0x99);
    expect(ack.properties?.userProperties).toEqual({ code, field });
  }
}

/** Publishes `payload` on a connection subscribed to its errors, expects the refusal, and that nothing was stored. */
async function expectRefusedWhole(client: MqttTestClient, payload: unknown, code: string, field: string) {
  const before = await stats();
  publish(client, device.deviceId, payload);
  await expectRefused(client, code, field);
  expect(await stats()).toEqual(before);
}

async function connected(version: 4 | 5): Promise<MqttTestClient> {
  const client = await connectDevice(version, device);
  await subscribeErrors(client);
  return client;
}

for (const version of [4, 5] as const) {
  const ts = now - 10_000 * version;

  describe(`MQTT ${version === 5 ? '5' : '3.1.1'} refusals`, () => {
    it('refuses a __proto__ label, naming it, and stores nothing', async () => {
      const raw = `{"batchId":"mq${version}-proto","samples":[{"metric":"temp","ts":${ts},"value":1,"labels":{"__proto__":"evil"}}]}`;
      await expectRefusedWhole(await connected(version), raw, 'invalid_input', 'samples.0.labels.__proto__');
    });

    it('never acknowledges a reused batch id with other samples as stored', async () => {
      const client = await connected(version);
      publish(client, device.deviceId, batch(`mq${version}-reuse`, [{ metric: 'load', ts, value: 1 }]));
      expect(((await client.next('puback')) as IPubackPacket).reasonCode ?? 0).toBe(0);
      const reused = batch(`mq${version}-reuse`, [{ metric: 'load', ts: ts + 1, value: 2 }]);
      await expectRefusedWhole(client, reused, 'batch_conflict', 'batchId');
    });

    it('refuses two samples of one series at one ts, naming the second', async () => {
      const twice = batch(`mq${version}-twice`, [
        { metric: 'load', ts: ts + 5, value: 1 },
        { metric: 'load', ts: ts + 5, value: 2 },
      ]);
      await expectRefusedWhole(await connected(version), twice, 'duplicate_sample', 'samples.1');
    });
  });
}
