import type { ErrorWithReasonCode, MqttClient, Packet } from 'mqtt';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { IngestBatch } from '../../../schema/wire/ingest.ts';
import { mqttTopics, type MqttErrorMessage } from '../../../schema/wire/mqtt.ts';
import type { Logger } from '../log.ts';
import type { Batch } from '../spool/types.ts';
import { ingestBody } from '../spool/body.ts';
import { createMqttConnection } from './mqtt-connection.ts';
import { ackFrom, errorMessageResult, mqttUrl, parseErrorMessage, pubackFailure } from './mqtt-results.ts';
import type { SendOptions, SendResult, Transport } from './types.ts';

const gzip = promisify(gzipCallback);

export interface MqttTransportOptions {
  /** Server base URL (`https://edgewatch.example.com`); batches go to `wss://…/mqtt`. A `ws(s)://` URL is used as is. */
  url: string;
  /** MQTT username. */
  deviceId: string;
  /** MQTT password: the device token `ewd.<deviceId>.<secret>`. */
  deviceToken: string;
  /** 5 (default) gets the Worker's real ack and reason codes in PUBACKs; 4 is MQTT 3.1.1. */
  protocolVersion?: 4 | 5;
  /** Added to every batch, as over HTTPS. */
  agent?: IngestBatch['agent'];
  log?: Logger;
  /**
   * Called with each new remote config (once per ETag), on connect and whenever an admin changes
   * it or a host notice is added; `notices` as sent (unvalidated), absent from older servers.
   */
  onConfig?: (config: unknown, etag: string, notices?: unknown) => void;
  /** How long `send` waits for a connection, and mqtt.js for a CONNACK. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** How long `send` waits for the PUBACK. Default 15 000 ms. */
  ackTimeoutMs?: number;
  /** MQTT keepalive in seconds. Default 30. */
  keepaliveSeconds?: number;
  /** Pause between mqtt.js reconnect attempts. Default 2 000 ms. */
  reconnectPeriodMs?: number;
}

interface InFlight {
  messageId?: number;
  /** A refusal explained on the errors topic, waiting for its PUBACK (MQTT 3.1.1). */
  error?: MqttErrorMessage;
  settle(result: SendResult): void;
}

/**
 * Ships batches as gzip-compressed JSON, published at QoS 1 on the device's ingest topic over
 * MQTT over WebSocket (docs/mqtt.md). A send is `ok` only on the PUBACK, which the Worker
 * sends once the batch is durable; a lost connection or a missing PUBACK is retryable, a
 * refused CONNACK or a refusing PUBACK permanent. mqtt.js keeps the connection up between sends
 * (reconnecting on its own), so config changes arrive while the agent is idle.
 */
export function createMqttTransport(options: MqttTransportOptions): Transport {
  const topics = mqttTopics(options.deviceId);
  const url = mqttUrl(options.url);
  const log = options.log;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
  const inFlight = new Map<string, InFlight>();
  let configEtag: string | undefined;

  const settleAll = (result: SendResult) => {
    for (const entry of [...inFlight.values()]) entry.settle(result);
  };
  const connection = createMqttConnection({
    url,
    version: options.protocolVersion ?? 5,
    deviceId: options.deviceId,
    deviceToken: options.deviceToken,
    keepaliveSeconds: options.keepaliveSeconds ?? 30,
    connectTimeoutMs,
    reconnectPeriodMs: options.reconnectPeriodMs ?? 2_000,
    log,
    topics: [topics.config, topics.errors],
    onMessage,
    onLost: settleAll,
  });

  function onMessage(topic: string, payload: Uint8Array): void {
    if (topic === topics.errors) {
      const e = parseErrorMessage(payload);
      if (!e) return;
      log?.warn('batch refused by the server', { ...e });
      const entry = e.batchId ? inFlight.get(e.batchId) : undefined;
      if (entry) entry.error = e;
      return;
    }
    if (topic !== topics.config) return;
    try {
      const msg = JSON.parse(new TextDecoder().decode(payload)) as {
        etag?: unknown;
        config?: unknown;
        notices?: unknown;
      };
      if (typeof msg.etag !== 'string' || typeof msg.config !== 'object' || msg.config === null) return;
      if (msg.etag === configEtag) return;
      configEtag = msg.etag;
      options.onConfig?.(msg.config, msg.etag, msg.notices);
    } catch (err) {
      log?.warn('mqtt config message not applied', { err });
    }
  }

  async function publish(c: MqttClient, batch: Batch, signal?: AbortSignal): Promise<SendResult> {
    const payload = await gzip(JSON.stringify(ingestBody(batch, options.agent)));
    return new Promise<SendResult>((resolve) => {
      const entry: InFlight = {
        settle(result) {
          if (inFlight.get(batch.batchId) !== entry) return;
          inFlight.delete(batch.batchId);
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          // Not acked: keep mqtt.js from resending it after a reconnect; the spool resends it.
          if (result.kind !== 'ok' && entry.messageId !== undefined && c.outgoing[entry.messageId]?.cb === onAck) {
            c.removeOutgoingMessage(entry.messageId);
          }
          resolve(result);
        },
      };
      const timer = setTimeout(
        () => entry.settle({ kind: 'retryable', reason: `no PUBACK within ${ackTimeoutMs} ms${connection.cause()}` }),
        ackTimeoutMs,
      );
      const onAbort = () => entry.settle({ kind: 'retryable', reason: 'aborted before the PUBACK' });
      signal?.addEventListener('abort', onAbort, { once: true });
      const onAck = (err?: Error, packet?: Packet) => {
        const code = (err as ErrorWithReasonCode | undefined)?.code;
        if (err && typeof code === 'number') {
          const props = packet?.cmd === 'puback' ? packet.properties : undefined;
          return entry.settle(entry.error ? errorMessageResult(entry.error) : pubackFailure(code, props));
        }
        if (err) return entry.settle({ kind: 'retryable', reason: `${err.message}${connection.cause()}` });
        if (entry.error) return entry.settle(errorMessageResult(entry.error));
        const id = packet?.messageId ?? entry.messageId;
        const props = id === undefined ? undefined : connection.takeAckProperties(id);
        entry.settle({ kind: 'ok', ack: ackFrom(batch.batchId, batch.samples.length, props) });
      };
      inFlight.get(batch.batchId)?.settle({ kind: 'retryable', reason: 'superseded by a resend' });
      inFlight.set(batch.batchId, entry);
      c.publish(topics.ingest, payload, { qos: 1 }, onAck);
      // mqtt.js allocates the id synchronously when it can send at once; it is needed to cancel.
      for (const [id, pending] of Object.entries(c.outgoing)) if (pending.cb === onAck) entry.messageId = Number(id);
    });
  }

  return {
    name: 'mqtt',

    async connect() {
      const state = await connection.ready(connection.client());
      if (state !== 'ok') log?.warn('mqtt not connected yet; batches wait in the spool', { url, state });
    },

    async send(batch: Batch, sendOptions: SendOptions = {}): Promise<SendResult> {
      const c = connection.client();
      const state = await connection.ready(c, sendOptions.signal);
      const refusal = connection.refusal();
      if (state === 'refused' && refusal) return refusal;
      if (state === 'aborted') return { kind: 'retryable', reason: 'aborted before connecting' };
      if (state !== 'ok') {
        return { kind: 'retryable', reason: `not connected within ${connectTimeoutMs} ms${connection.cause()}` };
      }
      return publish(c, batch, sendOptions.signal);
    },

    async close() {
      settleAll({ kind: 'retryable', reason: 'transport closed' });
      await connection.end();
    },
  };
}
