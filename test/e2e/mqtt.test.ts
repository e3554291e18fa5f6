import { connectAsync, type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMqttTransport } from '../../agent/src/transports/mqtt.ts';
import type { Transport } from '../../agent/src/transports/types.ts';
import { mqttTopics, type MqttConfigMessage } from '../../schema/wire/mqtt.ts';
import type { StreamEvent } from '../../schema/wire/stream.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

let platform: LocalPlatform;
let mqttUrl: string;
const events: StreamEvent[] = [];
let stream: WebSocket;
const clients: MqttClient[] = [];
const transports: Transport[] = [];

interface Device {
  deviceId: string;
  deviceToken: string;
}

async function enroll(name: string): Promise<Device> {
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform.seed.enrollmentToken, name }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Device;
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${platform.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${platform.seed.apiKey}`, 'content-type': 'application/json' },
  });

async function connect(device: Device, version: 4 | 5, extra: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(mqttUrl, {
    protocolVersion: version,
    username: device.deviceId,
    password: device.deviceToken,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...extra,
  });
  clients.push(client);
  return client;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const batch = (batchId: string, value: number, ts = Date.now()) => ({
  batchId,
  samples: [{ metric: 'mqtt_e2e_value', ts, value }],
});

async function latest(deviceId: string): Promise<number | undefined> {
  const res = await api(`/v1/devices/${deviceId}/latest`);
  const body = (await res.json()) as { values: { metric: string; value: number }[] };
  return body.values.find((v) => v.metric === 'mqtt_e2e_value')?.value;
}

beforeAll(async () => {
  platform = await startLocalPlatform();
  mqttUrl = `${platform.url.replace(/^http/, 'ws')}/mqtt`;
  stream = new WebSocket(`${platform.url.replace(/^http/, 'ws')}/v1/stream`, {
    headers: { authorization: `Bearer ${platform.seed.apiKey}` },
  } as unknown as string[]);
  stream.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { type: string; event?: StreamEvent };
    if (msg.type === 'event' && msg.event) events.push(msg.event);
  });
  await once(stream as unknown as EventTarget, 'open');
  stream.send(JSON.stringify({ type: 'hello', v: 1, credits: 1000 }));
  stream.send(JSON.stringify({ type: 'subscribe', id: 'e', subject: `org.${platform.seed.orgId}.**` }));
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

afterAll(async () => {
  stream?.close();
  await platform?.stop();
});

for (const version of [4, 5] as const) {
  describe(`mqtt.js ${version === 5 ? '5' : '3.1.1'} against the local Worker`, () => {
    it('is refused with a wrong device secret', async () => {
      const device = await enroll(`refused-${version}`);
      const wrong = device.deviceToken.replace(/\.[^.]+$/, `.${'x'.repeat(32)}`);
      const attempt = connect({ ...device, deviceToken: wrong }, version);
      await expect(attempt).rejects.toMatchObject({ code: version === 5 ? 0x87 : 5 });
      await expect(connect({ ...device, deviceId: 'dev_nobody12345' }, version)).rejects.toMatchObject({
        code: version === 5 ? 0x86 : 4,
      });
    });

    it('acknowledges a QoS 1 batch only once it is stored: readable through the API right after the PUBACK', async () => {
      const device = await enroll(`store-${version}`);
      const client = await connect(device, version);
      for (let i = 1; i <= 5; i++) {
        await client.publishAsync(mqttTopics(device.deviceId).ingest, JSON.stringify(batch(`e2e-${version}-${i}`, i)), {
          qos: 1,
        });
        expect(await latest(device.deviceId)).toBe(i);
      }
    });

    it('answers PINGREQ', async () => {
      const device = await enroll(`ping-${version}`);
      const client = await connect(device, version, { keepalive: 1 });
      const pingresp = await new Promise<Packet>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no packet within 5 s')), 5_000);
        client.once('packetreceive', (packet) => {
          clearTimeout(timer);
          resolve(packet);
        });
      });
      expect(pingresp.cmd).toBe('pingresp');
    });

    it('turns an abrupt close into a device.offline event on the stream', async () => {
      const device = await enroll(`abrupt-${version}`);
      const client = await connect(device, version);
      await until('device.online', () =>
        events.find((e) => e.type === 'device.online' && e.subject.includes(device.deviceId)),
      );
      client.stream.destroy();
      const offline = await until('device.offline', () =>
        events.find((e) => e.type === 'device.offline' && e.subject.includes(device.deviceId)),
      );
      expect(offline.data).toMatchObject({ reason: 'connection_lost', transport: 'mqtt' });
      expect(offline.subject).toBe(`org.${platform.seed.orgId}.site._.device.${device.deviceId}.event.device_offline`);
    });

    it('delivers a config change on the config topic', async () => {
      const device = await enroll(`config-${version}`);
      const client = await connect(device, version);
      const messages: MqttConfigMessage[] = [];
      client.on('message', (topic, payload) => {
        if (topic === mqttTopics(device.deviceId).config)
          messages.push(JSON.parse(payload.toString()) as MqttConfigMessage);
      });
      await client.subscribeAsync(mqttTopics(device.deviceId).config, { qos: 1 });
      await until('the current config', () => messages[0]);
      const probes = [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 }];
      const res = await api(`/v1/devices/${device.deviceId}/agent-config`, {
        method: 'PUT',
        body: JSON.stringify({ probes }),
      });
      expect(res.status).toBe(200);
      const update = await until('the changed config', () => messages[1]);
      expect(update.config.probes).toEqual(probes);
      expect(update.etag).not.toBe(messages[0]!.etag);
    });

    it('ships batches with the agent’s MQTT transport and hands it config', async () => {
      const device = await enroll(`agent-${version}`);
      const configs: string[] = [];
      const transport = createMqttTransport({
        url: platform.url,
        deviceId: device.deviceId,
        deviceToken: device.deviceToken,
        protocolVersion: version,
        onConfig: (_config, etag) => configs.push(etag),
      });
      transports.push(transport);
      await transport.connect();
      // A retry resends the very batch (same samples, same ts): built once, sent twice.
      const one = batch(`agent-${version}-1`, 41);
      const first = await transport.send(one);
      expect(first).toEqual({ kind: 'ok', ack: { batchId: `agent-${version}-1`, accepted: 1, duplicate: false } });
      expect(await latest(device.deviceId)).toBe(41);
      const again = await transport.send(one);
      expect(again).toMatchObject({ kind: 'ok', ack: { duplicate: version === 5 } });
      const bad = await transport.send({
        batchId: `agent-${version}-bad`,
        samples: [{ metric: 'x', ts: 0, value: 1 }],
      });
      expect(bad).toMatchObject({ kind: 'permanent', status: 400, code: 'invalid_input' });
      await until('the config', () => configs[0]);
    });
  });
}
