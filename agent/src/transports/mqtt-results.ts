import type { IngestAck } from '../../../schema/wire/ingest.ts';
import {
  MQTT4_CONNACK,
  MQTT5_REASON,
  MQTT_ACK_PROPERTY,
  MQTT_PATH,
  type MqttErrorMessage,
} from '../../../schema/wire/mqtt.ts';
import type { SendResult } from './types.ts';

/** MQTT reason codes turned into the shipper's three outcomes, plus the endpoint URL. */

type Permanent = Extract<SendResult, { kind: 'permanent' }>;
type UserProperties = Record<string, string | string[]>;

/**
 * The WebSocket URL of a server's MQTT endpoint: `http(s)://host/prefix` becomes
 * `ws(s)://host/prefix/mqtt`; a `ws(s)://` URL is taken as the endpoint itself.
 */
export function mqttUrl(base: string): string {
  const url = new URL(base);
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return url.toString();
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) or ws(s) URL: ${base}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${MQTT_PATH}`;
  return url.toString();
}

/**
 * A refused CONNACK. Bad or revoked credentials and an unsupported protocol version are
 * permanent (like a 401 over HTTPS); "server unavailable" and the like are worth retrying.
 */
export function connackResult(code: number): Exclude<SendResult, { kind: 'ok' }> {
  const reason = `connection refused (code ${code})`;
  switch (code) {
    case MQTT4_CONNACK.badUsernameOrPassword:
    case MQTT5_REASON.badUserNameOrPassword:
      return {
        kind: 'permanent',
        status: 401,
        code: 'bad_credentials',
        reason: `${reason}: bad user name or password`,
      };
    case MQTT4_CONNACK.notAuthorized:
    case MQTT5_REASON.notAuthorized:
      return { kind: 'permanent', status: 401, code: 'not_authorized', reason: `${reason}: device unknown or revoked` };
    case MQTT4_CONNACK.unacceptableProtocolVersion:
    case MQTT5_REASON.unsupportedProtocolVersion:
      return { kind: 'permanent', status: 400, code: 'unsupported_protocol_version', reason };
    default:
      return { kind: 'retryable', reason };
  }
}

/** A PUBACK with a failure reason code (MQTT 5 only). */
export function pubackFailure(code: number, properties?: { reasonString?: string; userProperties?: UserProperties }) {
  const props = properties?.userProperties ?? {};
  const errorCode = first(props[MQTT_ACK_PROPERTY.code]);
  const field = first(props[MQTT_ACK_PROPERTY.field]);
  const detail = [errorCode, properties?.reasonString].filter(Boolean).join(': ');
  const reason = `PUBACK reason 0x${code.toString(16)}${detail ? ` (${detail})` : ''}${field ? ` (field ${field})` : ''}`;
  switch (code) {
    case MQTT5_REASON.payloadFormatInvalid:
      return permanent(statusOf(errorCode), errorCode ?? 'payload_format_invalid', reason);
    case MQTT5_REASON.notAuthorized:
      return permanent(403, errorCode ?? 'not_authorized', reason);
    case MQTT5_REASON.topicNameInvalid:
      return permanent(400, errorCode ?? 'topic_name_invalid', reason);
    default:
      return { kind: 'retryable', reason } satisfies SendResult;
  }
}

/** A refusal explained on the errors topic (how MQTT 3.1.1 learns of it before a positive PUBACK). */
export function errorMessageResult(e: MqttErrorMessage): Permanent {
  return permanent(statusOf(e.code), e.code, `${e.code}: ${e.message}${e.field ? ` (field ${e.field})` : ''}`);
}

/**
 * The ack of a stored batch: MQTT 5 PUBACKs carry the Worker's `accepted` and `duplicate`;
 * MQTT 3.1.1 ones carry nothing, so the batch counts as accepted whole.
 */
export function ackFrom(batchId: string, samples: number, props: UserProperties | undefined): IngestAck {
  const accepted = Number(first(props?.[MQTT_ACK_PROPERTY.accepted]));
  const duplicate = first(props?.[MQTT_ACK_PROPERTY.duplicate]);
  if (Number.isInteger(accepted) && (duplicate === 'true' || duplicate === 'false')) {
    return { batchId, accepted, duplicate: duplicate === 'true' };
  }
  return { batchId, accepted: samples, duplicate: false };
}

/** Parses a message of the errors topic; undefined when it is not one. */
export function parseErrorMessage(payload: Uint8Array): MqttErrorMessage | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(payload)) as Partial<MqttErrorMessage>;
    if (typeof v.code === 'string' && typeof v.message === 'string') return v as MqttErrorMessage;
  } catch {
    // Not ours to interpret.
  }
  return undefined;
}

const permanent = (status: number, code: string, reason: string): Permanent => ({
  kind: 'permanent',
  status,
  code,
  reason,
});
/** The HTTPS status the same refusal gets, so logs and `status` read alike on both transports. */
const REFUSAL_STATUS: Record<string, number> = {
  batch_too_large: 413,
  payload_too_large: 413,
  batch_conflict: 409,
  series_limit: 422,
};
const statusOf = (code: string | undefined) => (code && REFUSAL_STATUS[code]) || 400;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
