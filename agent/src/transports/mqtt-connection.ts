import { connect as mqttConnect, type ErrorWithReasonCode, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from '../log.ts';
import { connackResult } from './mqtt-results.ts';
import type { SendResult } from './types.ts';

type Failure = Exclude<SendResult, { kind: 'ok' }>;
type UserProperties = Record<string, string | string[]>;
export type ConnectState = 'ok' | 'refused' | 'timeout' | 'aborted';

export interface MqttConnectionOptions {
  /** The `ws(s)://…/mqtt` endpoint. */
  url: string;
  version: 4 | 5;
  deviceId: string;
  deviceToken: string;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  reconnectPeriodMs: number;
  log?: Logger;
  /** Subscribed at QoS 1 on the first connect; mqtt.js subscribes again after reconnects. */
  topics: string[];
  onMessage(topic: string, payload: Uint8Array): void;
  /** The connection closed or was refused: publishes still waiting for a PUBACK get `result`. */
  onLost(result: Failure): void;
}

/** One device's mqtt.js client, with what the transport needs to read from it. */
export interface MqttConnection {
  /** The client, created on first use and again after a refusal ended the previous one. */
  client(): MqttClient;
  /** Resolves once `c` is connected, refused, past the connect timeout, or `signal` aborted. */
  ready(c: MqttClient, signal?: AbortSignal): Promise<ConnectState>;
  /** Why the latest CONNECT was refused, while no newer client exists. */
  refusal(): Failure | undefined;
  /** ` (last error)`, to append to reasons. */
  cause(): string;
  /** The user properties of the PUBACK for `messageId`, once (MQTT 5). */
  takeAckProperties(messageId: number): UserProperties | undefined;
  /** Ends the client gracefully (DISCONNECT), or forcibly if that takes over 2 s. */
  end(): Promise<void>;
}

export function createMqttConnection(o: MqttConnectionOptions): MqttConnection {
  const ackProperties = new Map<number, UserProperties>();
  let current: MqttClient | undefined;
  let refusal: Failure | undefined;
  let lastError: string | undefined;
  const cause = () => (lastError ? ` (${lastError})` : '');

  function open(): MqttClient {
    if (current) return current;
    refusal = undefined;
    const c = mqttConnect(o.url, {
      protocolVersion: o.version,
      username: o.deviceId,
      password: o.deviceToken,
      clientId: `edgewatch-${o.deviceId}`,
      clean: true,
      keepalive: o.keepaliveSeconds,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: o.reconnectPeriodMs,
      resubscribe: true,
    });
    let subscribed = false;
    c.on('connect', () => {
      lastError = undefined;
      o.log?.info('mqtt connected', { url: o.url, protocolVersion: o.version });
      if (subscribed) return;
      subscribed = true;
      c.subscribe(Object.fromEntries(o.topics.map((t) => [t, { qos: 1 as const }])), (err) => {
        if (err) o.log?.warn('mqtt subscribe failed', { err });
      });
    });
    c.on('packetreceive', (packet: Packet) => {
      // Only the packet, not the publish callback, carries an MQTT 5 PUBACK's properties.
      if (packet.cmd === 'puback' && packet.properties?.userProperties && packet.messageId !== undefined) {
        ackProperties.set(packet.messageId, packet.properties.userProperties);
      }
    });
    c.on('message', (topic, payload) => o.onMessage(topic, payload));
    c.on('error', (err) => {
      const code = (err as ErrorWithReasonCode).code;
      if (typeof code === 'number' && err.message.startsWith('Connection refused')) {
        // mqtt.js stops reconnecting after a refusal; the next send tries afresh, paced by the shipper's backoff.
        const result = connackResult(code);
        refusal = result;
        o.log?.error('mqtt connection refused', { url: o.url, code, reason: result.reason });
        if (current === c) current = undefined;
        c.end(true);
        o.onLost(result);
        return;
      }
      lastError = err.message;
      o.log?.warn('mqtt error', { url: o.url, err });
    });
    c.on('close', () => o.onLost({ kind: 'retryable', reason: `connection closed before the PUBACK${cause()}` }));
    current = c;
    return c;
  }

  function ready(c: MqttClient, signal?: AbortSignal): Promise<ConnectState> {
    if (c.connected) return Promise.resolve('ok');
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const done = (state: ConnectState) => {
        clearTimeout(timer);
        c.off('connect', onConnect);
        c.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
        resolve(state);
      };
      const onConnect = () => done('ok');
      const onError = () => refusal && done('refused');
      const onAbort = () => done('aborted');
      const timer = setTimeout(() => done('timeout'), o.connectTimeoutMs);
      c.on('connect', onConnect);
      c.on('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    client: open,
    ready,
    refusal: () => refusal,
    cause,
    takeAckProperties(messageId) {
      const props = ackProperties.get(messageId);
      ackProperties.delete(messageId);
      return props;
    },
    async end() {
      const c = current;
      current = undefined;
      if (!c) return;
      // A graceful end sends DISCONNECT, so the Worker records no offline event; don't hang on a dead link.
      await Promise.race([c.endAsync(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      if (!c.disconnected) c.end(true);
    },
  };
}
