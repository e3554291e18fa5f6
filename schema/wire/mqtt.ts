import type { RemoteAgentConfig } from './agent-config.ts';
import type { HostNotice } from './notices.ts';

/**
 * MQTT over WebSocket between agents and the Worker (docs/mqtt.md): topics, payloads and the
 * reason codes both sides act on. Plain constants with no runtime imports, so the agent
 * bundle takes only these few lines.
 */

/** The WebSocket endpoint, on the same origin as the HTTPS API. */
export const MQTT_PATH = '/mqtt';
/** The WebSocket subprotocol MQTT 3.1.1 and 5 clients offer; the server echoes it. */
export const MQTT_SUBPROTOCOL = 'mqtt';

/** Every topic of one device; a session may only use its own device's. */
export function mqttTopics(deviceId: string) {
  const base = `edgewatch/v1/devices/${deviceId}`;
  return {
    /** Agent → Worker: an ingest batch, QoS 1 (acknowledged when durable) or QoS 0. */
    ingest: `${base}/ingest`,
    /** Worker → agent: the effective remote config, on subscribe and on every change. */
    config: `${base}/config`,
    /** Worker → agent: why a publish was refused (the only negative answer MQTT 3.1.1 has). */
    errors: `${base}/errors`,
  };
}

/** Payload on the config topic. */
export interface MqttConfigMessage {
  /** Same value as the ETag of `GET /v1/agents/config`. */
  etag: string;
  config: RemoteAgentConfig;
  /** The device's latest host notices, oldest first (schema/wire/notices.ts); the ETag covers them. */
  notices: HostNotice[];
}

/** Payload on the errors topic: the HTTPS error body's fields, plus the batch it is about. */
export interface MqttErrorMessage {
  batchId?: string;
  code: string;
  message: string;
  field?: string;
}

/**
 * User properties on an MQTT 5 PUBACK: the ingest ack on success (`accepted`, `duplicate`),
 * the error's `code` and `field` on a refusal. Values are strings, as MQTT requires.
 */
export const MQTT_ACK_PROPERTY = {
  accepted: 'accepted',
  duplicate: 'duplicate',
  code: 'code',
  field: 'field',
} as const;

/** CONNACK return codes of MQTT 3.1.1 that the Worker sends. */
export const MQTT4_CONNACK = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** MQTT 5 reason codes that the Worker sends (CONNACK, PUBACK, SUBACK, DISCONNECT). */
export const MQTT5_REASON = {
  success: 0x00,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicNameInvalid: 0x90,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  payloadFormatInvalid: 0x99,
  qosNotSupported: 0x9b,
} as const;

/** A SUBACK entry refusing a topic filter in MQTT 3.1.1. */
export const MQTT4_SUBACK_FAILURE = 0x80;
