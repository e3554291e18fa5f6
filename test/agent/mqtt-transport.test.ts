import type { IConnectPacket, IPublishPacket } from 'mqtt-packet';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport } from '../../agent/src/transports/types.ts';
import { createMqttTransport, type MqttTransportOptions } from '../../agent/src/transports/mqtt.ts';
import {
  ackFrom,
  connackResult,
  errorMessageResult,
  mqttUrl,
  pubackFailure,
} from '../../agent/src/transports/mqtt-results.ts';
import { mqttTopics } from '../../schema/wire/mqtt.ts';
import { closedPort, until } from './helpers/http-server.ts';
import { polite, startBroker, type ScriptedBroker, type Script } from './mqtt-broker.ts';
import { samples } from './spool-contract.ts';

const deviceId = 'dev_abcdefgh1234';
const deviceToken = `ewd.${deviceId}.${'s'.repeat(30)}`;
const topics = mqttTopics(deviceId);
const batch = { batchId: 'mq-1', samples: samples(3) };

let broker: ScriptedBroker | undefined;
let transport: Transport | undefined;
let silent: Server | undefined;
afterEach(async () => {
  await transport?.close();
  await broker?.close();
  silent?.close();
  broker = transport = silent = undefined;
});

async function setup(version: 4 | 5, script: Script, extra: Partial<MqttTransportOptions> = {}) {
  broker = await startBroker(version, script);
  transport = createMqttTransport({
    url: broker.url,
    deviceId,
    deviceToken,
    protocolVersion: version,
    agent: { version: '9.9.9' },
    connectTimeoutMs: 2_000,
    ackTimeoutMs: 1_000,
    ...extra,
  });
  return transport;
}

const publishes = () => broker!.received.filter((p): p is IPublishPacket => p.cmd === 'publish');

describe('mqttUrl', () => {
  it.each([
    ['https://edge.example.com', 'wss://edge.example.com/mqtt'],
    ['http://127.0.0.1:8787/', 'ws://127.0.0.1:8787/mqtt'],
    ['https://example.com/edge/', 'wss://example.com/edge/mqtt'],
    ['ws://127.0.0.1:1883/custom', 'ws://127.0.0.1:1883/custom'],
  ])('maps %s to %s', (input, output) => expect(mqttUrl(input)).toBe(output));
});

describe('MQTT reason codes', () => {
  it('treats refused credentials as permanent and an unavailable server as retryable', () => {
    expect(connackResult(4)).toMatchObject({ kind: 'permanent', status: 401, code: 'bad_credentials' });
    expect(connackResult(0x87)).toMatchObject({ kind: 'permanent', status: 401, code: 'not_authorized' });
    expect(connackResult(3)).toMatchObject({ kind: 'retryable' });
    expect(connackResult(0x88)).toMatchObject({ kind: 'retryable' });
  });

  it('treats an invalid payload as permanent and an unspecified error as retryable', () => {
    const props = { userProperties: { code: 'batch_too_large', field: 'samples' }, reasonString: 'too many' };
    expect(pubackFailure(0x99, props)).toMatchObject({ kind: 'permanent', status: 413, code: 'batch_too_large' });
    expect(pubackFailure(0x80)).toMatchObject({ kind: 'retryable' });
  });

  it('treats a reused batch id and the series limit as permanent, with their HTTPS statuses', () => {
    const refused = (code: string) => pubackFailure(0x99, { userProperties: { code } });
    expect(refused('batch_conflict')).toMatchObject({ kind: 'permanent', status: 409, code: 'batch_conflict' });
    expect(refused('series_limit')).toMatchObject({ kind: 'permanent', status: 422, code: 'series_limit' });
    expect(errorMessageResult({ code: 'batch_conflict', message: 'reused' })).toMatchObject({ status: 409 });
  });

  it('uses the Worker’s ack when the PUBACK carries one', () => {
    expect(ackFrom('b', 5, { accepted: '0', duplicate: 'true' })).toEqual({
      batchId: 'b',
      accepted: 0,
      duplicate: true,
    });
    expect(ackFrom('b', 5, undefined)).toEqual({ batchId: 'b', accepted: 5, duplicate: false });
  });
});

for (const version of [4, 5] as const) {
  describe(`MQTT ${version === 5 ? '5' : '3.1.1'} transport`, () => {
    it('connects with the device credentials and publishes the gzip-compressed batch at QoS 1', async () => {
      const t = await setup(
        version,
        polite(version, (p, ws, b) => {
          if (p.cmd !== 'publish') return;
          const props = version === 5 ? { properties: { userProperties: { accepted: '3', duplicate: 'false' } } } : {};
          b.send(ws, { cmd: 'puback', messageId: p.messageId!, ...(version === 5 ? { reasonCode: 0 } : {}), ...props });
        }),
      );
      expect(await t.send(batch)).toEqual({ kind: 'ok', ack: { batchId: 'mq-1', accepted: 3, duplicate: false } });
      const connect = broker!.received[0] as IConnectPacket;
      expect(connect).toMatchObject({ cmd: 'connect', protocolVersion: version, username: deviceId });
      expect(String(connect.password)).toBe(deviceToken);
      const [pub] = publishes();
      expect(pub).toMatchObject({ topic: topics.ingest, qos: 1 });
      expect(JSON.parse(gunzipSync(pub!.payload as Buffer).toString())).toEqual({
        batchId: batch.batchId,
        // The series-grouped form: each series once, its points in spool order.
        series: [{ metric: 'test_value', points: batch.samples.map((s) => [s.ts, s.value]) }],
        agent: { version: '9.9.9' },
      });
      const subscribe = broker!.received.find((p) => p.cmd === 'subscribe');
      expect(subscribe).toMatchObject({
        subscriptions: expect.arrayContaining([expect.objectContaining({ topic: topics.config })]),
      });
    });

    it('does not report a batch shipped without a PUBACK', async () => {
      const t = await setup(version, polite(version));
      const result = await t.send(batch);
      expect(result).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('no PUBACK within 1000 ms') });
    });

    it('reports a connection lost before the PUBACK as retryable at once', async () => {
      const t = await setup(
        version,
        polite(version, (p, ws) => p.cmd === 'publish' && ws.terminate()),
        { ackTimeoutMs: 10_000 },
      );
      const started = Date.now();
      expect(await t.send(batch)).toMatchObject({
        kind: 'retryable',
        reason: expect.stringContaining('connection closed'),
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('reports refused credentials as permanent', async () => {
      const t = await setup(version, (p, ws, b) => {
        if (p.cmd === 'connect')
          b.send(ws, {
            cmd: 'connack',
            sessionPresent: false,
            ...(version === 5 ? { reasonCode: 0x86 } : { returnCode: 4 }),
          });
      });
      expect(await t.send(batch)).toMatchObject({ kind: 'permanent', status: 401, code: 'bad_credentials' });
    });

    it('calls onConfig once per new ETag', async () => {
      const seen: [unknown, string][] = [];
      const config = (etag: string) => ({ etag, config: { probes: [], etag } });
      await setup(
        version,
        polite(version, (p, ws, b) => {
          if (p.cmd !== 'subscribe') return;
          for (const etag of ['"a"', '"a"', '"b"']) {
            b.send(ws, {
              cmd: 'publish',
              topic: topics.config,
              payload: JSON.stringify(config(etag)),
              qos: 0,
              retain: false,
              dup: false,
            });
          }
        }),
        { onConfig: (c, etag) => seen.push([c, etag]) },
      );
      await transport!.connect();
      await until('two configs', () => (seen.length === 2 ? true : undefined));
      expect(seen.map(([, etag]) => etag)).toEqual(['"a"', '"b"']);
    });
  });
}

describe('MQTT 3.1.1 transport refusals', () => {
  it('turns an error-topic message for the batch, then its PUBACK, into a permanent refusal', async () => {
    const t = await setup(
      4,
      polite(4, (p, ws, b) => {
        if (p.cmd !== 'publish') return;
        const error = { batchId: 'mq-1', code: 'invalid_input', message: 'bad value', field: 'samples.0.value' };
        b.send(ws, {
          cmd: 'publish',
          topic: topics.errors,
          payload: JSON.stringify(error),
          qos: 0,
          retain: false,
          dup: false,
        });
        b.send(ws, { cmd: 'puback', messageId: p.messageId! });
      }),
    );
    expect(await t.send(batch)).toMatchObject({ kind: 'permanent', status: 400, code: 'invalid_input' });
  });
});

describe('MQTT transport without a server', () => {
  it('reports a refused TCP connection as retryable', async () => {
    const port = await closedPort();
    transport = createMqttTransport({ url: `http://127.0.0.1:${port}`, deviceId, deviceToken, connectTimeoutMs: 500 });
    expect(await transport.send(batch)).toMatchObject({
      kind: 'retryable',
      reason: expect.stringContaining('not connected within 500 ms'),
    });
  });

  it('reports a server that never answers the handshake as retryable', async () => {
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    transport = createMqttTransport({ url: `http://127.0.0.1:${port}`, deviceId, deviceToken, connectTimeoutMs: 500 });
    expect(await transport.send(batch)).toMatchObject({ kind: 'retryable' });
  });
});
