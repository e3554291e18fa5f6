import type { IPublishPacket, Packet } from 'mqtt-packet';
import type { IngestAck } from '../../../../schema/wire/ingest.ts';
import { MQTT5_REASON, MQTT_ACK_PROPERTY, mqttTopics, type MqttErrorMessage } from '../../../../schema/wire/mqtt.ts';
import { ApiError } from '../../errors.ts';
import { parseJson, readBody } from '../../services/http/body.ts';
import { compactBatch, validateBatch } from '../../services/ingest/batch.ts';
import { log } from '../../services/log.ts';
import { refusalError } from '../../services/ingest/refusals.ts';
import { ingestLimitMessage } from '../../services/ingest/token-bucket.ts';
import { deviceHubFor } from '../device-hub/index.ts';
import type { MqttVersion } from './codec.ts';
import type { SessionDevice, SessionIO } from './state.ts';
import { settings } from '../../settings.ts';

/** What became of one PUBLISH. */
export type PublishOutcome =
  | { kind: 'stored'; ack: IngestAck }
  /** The payload is not a valid batch, or its batch id or series were refused: resending it cannot help. */
  | { kind: 'invalid'; error: MqttErrorMessage }
  /** A topic this session may not publish to. */
  | { kind: 'forbidden'; error: MqttErrorMessage }
  /** The device's token was revoked since CONNECT. */
  | { kind: 'unauthorized' }
  /** Over the device's ingest rate limit (the same budget as HTTPS ingest): nothing stored. */
  | { kind: 'limited'; reason: string }
  /** Nothing was stored, for a reason that may pass (the DeviceHub or D1 failed). */
  | { kind: 'failed'; reason: string };

/**
 * Handles a PUBLISH: only the device's ingest topic is accepted, at QoS 0 or 1; the answer
 * follows {@link publishReply}.
 */
export async function handlePublish(io: SessionIO, packet: IPublishPacket): Promise<void> {
  const { s } = io;
  const device = s.device!;
  const topics = mqttTopics(device.deviceId);
  // CONNACK announced maximum QoS 1.
  if (packet.qos === 2) return io.close({ reason: 'protocol_error', code: MQTT5_REASON.qosNotSupported });
  const outcome: PublishOutcome =
    packet.topic === topics.ingest
      ? await ingestPublish(io.env, device, packet.payload as Uint8Array | string)
      : { kind: 'forbidden', error: { code: 'forbidden_topic', message: `publish only to ${topics.ingest}` } };
  const reply = publishReply(outcome, {
    version: s.version,
    packet,
    errorsTopic: s.subs.errors ? topics.errors : null,
  });
  for (const p of reply.send) io.send(p);
  if (reply.close) await io.close(reply.close);
}

/** Largest ingest payload, after gunzip: the same limit as `POST /v1/ingest`. */
export const maxIngestBytes = (env: Env) => settings(env).INGEST_MAX_BYTES;

/**
 * Validates a publish's payload (JSON, or gzip-compressed JSON, recognised by its magic bytes)
 * exactly as HTTPS ingest does, and stores it through the device's DeviceHub. `stored` is
 * returned only once the hub's reply arrived, which the hub's output gate holds until durable.
 */
export async function ingestPublish(
  env: Env,
  device: SessionDevice,
  payload: Uint8Array | string,
): Promise<PublishOutcome> {
  let raw: unknown;
  try {
    raw = parseJson(await payloadText(payload, maxIngestBytes(env)));
    const batch = compactBatch(validateBatch(raw, env));
    const result = await deviceHubFor(env, device.deviceId).ingest(device.deviceId, device.tokenHash, batch);
    // The DeviceHub keeps one rate budget per device whichever transport it uses.
    if (result.status === 'rate_limited') {
      return { kind: 'limited', reason: ingestLimitMessage(result.perMinute, result.retryAfterSeconds) };
    }
    // A reused batch id or the series limit is refused for good, like an invalid batch: never a positive "stored".
    if (result.status === 'refused') throw refusalError(result.refusal);
    return result.status === 'ok' ? { kind: 'stored', ack: result.ack } : { kind: 'unauthorized' };
  } catch (err) {
    if (err instanceof ApiError) {
      const batchId = (raw as { batchId?: unknown } | undefined)?.batchId;
      return {
        kind: 'invalid',
        error: {
          ...(typeof batchId === 'string' ? { batchId: batchId.slice(0, 100) } : {}),
          ...err.body().error,
        },
      };
    }
    log.error('mqtt ingest failed', { deviceId: device.deviceId, error: String(err) });
    return { kind: 'failed', reason: 'the batch could not be stored; send it again' };
  }
}

async function payloadText(payload: Uint8Array | string, maxBytes: number): Promise<string> {
  if (typeof payload === 'string') return payload;
  const gzipped = payload[0] === 0x1f && payload[1] === 0x8b;
  if (!gzipped && payload.length > maxBytes) {
    throw new ApiError(413, 'payload_too_large', `payload exceeds ${maxBytes} bytes`);
  }
  if (!gzipped) return new TextDecoder().decode(payload);
  // The HTTPS body reader already gunzips with a bound; a Request makes the payload a stream for it.
  const request = new Request('https://mqtt.internal/', {
    method: 'POST',
    body: payload,
    headers: { 'content-encoding': 'gzip' },
  });
  return readBody(request, maxBytes);
}

/** Packets to send for an outcome, and whether the connection must then end. */
export interface PublishReply {
  send: Packet[];
  close?: { reason: string; code: number };
}

/**
 * The answer to a PUBLISH. A QoS 1 PUBACK means stored, or refused for good; it is never sent
 * for a failure that may pass. MQTT 3.1.1 has no negative PUBACK, so there a refused batch is
 * explained on the errors topic and then acknowledged (resending it cannot help), while a
 * forbidden topic or a failure that may pass closes the connection instead.
 */
export function publishReply(
  outcome: PublishOutcome,
  ctx: { version: MqttVersion; packet: IPublishPacket; errorsTopic: string | null },
): PublishReply {
  const { version } = ctx;
  const qos1 = ctx.packet.qos === 1;
  const messageId = ctx.packet.messageId ?? 0;
  const explain = (e: MqttErrorMessage): Packet[] =>
    ctx.errorsTopic
      ? [{ cmd: 'publish', topic: ctx.errorsTopic, payload: JSON.stringify(e), qos: 0, retain: false, dup: false }]
      : [];
  const puback = (reasonCode = 0, props?: Record<string, string>, reasonString?: string): Packet =>
    version === 5
      ? {
          cmd: 'puback',
          messageId,
          reasonCode,
          properties: { ...(props ? { userProperties: props } : {}), ...(reasonString ? { reasonString } : {}) },
        }
      : { cmd: 'puback', messageId };

  switch (outcome.kind) {
    case 'stored':
      if (!qos1) return { send: [] };
      return {
        send: [
          puback(0, {
            [MQTT_ACK_PROPERTY.accepted]: String(outcome.ack.accepted),
            [MQTT_ACK_PROPERTY.duplicate]: String(outcome.ack.duplicate),
          }),
        ],
      };
    case 'invalid': {
      const e = outcome.error;
      const props = { [MQTT_ACK_PROPERTY.code]: e.code, ...(e.field ? { [MQTT_ACK_PROPERTY.field]: e.field } : {}) };
      const ack = qos1 ? [puback(MQTT5_REASON.payloadFormatInvalid, props, e.message.slice(0, 512))] : [];
      return { send: [...explain(e), ...ack] };
    }
    case 'forbidden':
      if (version === 5 && qos1) {
        return {
          send: [...explain(outcome.error), puback(MQTT5_REASON.notAuthorized, undefined, outcome.error.message)],
        };
      }
      return { send: explain(outcome.error), close: { reason: 'forbidden_topic', code: MQTT5_REASON.notAuthorized } };
    case 'unauthorized':
      return { send: [], close: { reason: 'unauthorized', code: MQTT5_REASON.notAuthorized } };
    case 'limited':
      // MQTT 5 says so in the PUBACK and the agent retries after its backoff; 3.1.1 cannot, so it closes.
      if (!qos1) return { send: [] };
      if (version === 5) return { send: [puback(MQTT5_REASON.quotaExceeded, undefined, outcome.reason)] };
      return { send: [], close: { reason: 'rate_limited', code: MQTT5_REASON.quotaExceeded } };
    case 'failed':
      if (!qos1) return { send: [] };
      if (version === 5) return { send: [puback(MQTT5_REASON.unspecifiedError, undefined, outcome.reason)] };
      return { send: [], close: { reason: 'server_error', code: MQTT5_REASON.unspecifiedError } };
  }
}
