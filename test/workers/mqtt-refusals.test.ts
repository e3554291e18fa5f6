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

for (const version of [4, 5] as const) {
  const ts = now - 10_000 * version;

  describe(`MQTT ${version === 5 ? '5' : '3.1.1'} refusals`, () => {
    it('refuses a __proto__ label, naming it, and stores nothing', async () => {
      const client = await connectDevice(version, device);
      await subscribeErrors(client);
      const before = await stats();
      publish(
        client,
        device.deviceId,
        `{"batchId":"mq${version}-proto","samples":[{"metric":"temp","ts":${ts},"value":1,"labels":{"__proto__":"evil"}}]}`,
      );
      await expectRefused(client, 'invalid_input', 'samples.0.labels.__proto__');
      expect(await stats()).toEqual(before);
    });

    it('never acknowledges a reused batch id with other samples as stored', async () => {
      const client = await connectDevice(version, device);
      await subscribeErrors(client);
      publish(client, device.deviceId, batch(`mq${version}-reuse`, [{ metric: 'load', ts, value: 1 }]));
      expect(((await client.next('puback')) as IPubackPacket).reasonCode ?? 0).toBe(0);
      const before = await stats();
      publish(client, device.deviceId, batch(`mq${version}-reuse`, [{ metric: 'load', ts: ts + 1, value: 2 }]));
      await expectRefused(client, 'batch_conflict', 'batchId');
      expect(await stats()).toEqual(before);
    });

    it('refuses two samples of one series at one ts, naming the second', async () => {
      const client = await connectDevice(version, device);
      await subscribeErrors(client);
      const before = await stats();
      publish(
        client,
        device.deviceId,
        batch(`mq${version}-twice`, [
          { metric: 'load', ts: ts + 5, value: 1 },
          { metric: 'load', ts: ts + 5, value: 2 },
        ]),
      );
      await expectRefused(client, 'duplicate_sample', 'samples.1');
      expect(await stats()).toEqual(before);
    });
  });
}
