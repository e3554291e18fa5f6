import { env, SELF } from 'cloudflare:test';
import { generate, parser, type IConnackPacket, type Packet } from 'mqtt-packet';
import { expect } from 'vitest';
import { mqttTopics } from '../../schema/wire/mqtt.ts';
import { closeSocketsAfterEach } from './open-sockets.ts';

/** A bare MQTT-over-WebSocket client for workerd tests: packets are encoded and decoded with mqtt-packet. */
export interface MqttTestClient {
  ws: WebSocket;
  version: 4 | 5;
  send(packet: Packet): void;
  sendRaw(bytes: Uint8Array): void;
  /** The next packet (of `cmd`, skipping others when given). */
  next(cmd?: Packet['cmd'], timeoutMs?: number): Promise<Packet>;
  /** Resolves with the close once the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
}

const open = closeSocketsAfterEach();

export function upgradeMqtt(headers: Record<string, string> = { 'Sec-WebSocket-Protocol': 'mqtt' }) {
  return SELF.fetch('http://x/mqtt', { headers: { Upgrade: 'websocket', ...headers } });
}

/** Opens a WebSocket to `/mqtt`; nothing is sent yet. */
export async function openMqtt(version: 4 | 5 = 4): Promise<MqttTestClient> {
  const res = await upgradeMqtt();
  expect(res.status).toBe(101);
  expect(res.headers.get('sec-websocket-protocol')).toBe('mqtt');
  const ws = res.webSocket!;
  const queue: Packet[] = [];
  const waiters: (() => void)[] = [];
  const p = parser({ protocolVersion: version });
  p.on('packet', (packet) => {
    queue.push(packet);
    for (const w of waiters.splice(0)) w();
  });
  ws.addEventListener('message', async (e) => {
    const data = e.data as ArrayBuffer | Blob | string;
    const bytes =
      typeof data === 'string' ? null : new Uint8Array(data instanceof Blob ? await data.arrayBuffer() : data);
    if (bytes) p.parse(bytes as never);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener('close', (e) => {
      resolve({ code: e.code, reason: e.reason });
      for (const w of waiters.splice(0)) w();
    }),
  );
  ws.accept();
  open.push(ws);
  const next = async (cmd?: Packet['cmd'], timeoutMs = 5000): Promise<Packet> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = queue.findIndex((q) => !cmd || q.cmd === cmd);
      if (i >= 0) return queue.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${cmd ?? 'packet'} within ${timeoutMs} ms; queued: ${queue.map((q) => q.cmd)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  const sendRaw = (bytes: Uint8Array) => ws.send(bytes);
  return {
    ws,
    version,
    send: (packet) => sendRaw(generate(packet, { protocolVersion: version })),
    sendRaw,
    next,
    closed,
  };
}

export interface ConnectOptions {
  username?: string;
  password?: string;
  keepalive?: number;
  will?: { topic: string; payload: string };
}

/** Opens a connection and sends CONNECT; returns the client and the CONNACK. */
export async function connectMqtt(
  version: 4 | 5,
  options: ConnectOptions,
): Promise<{ client: MqttTestClient; connack: IConnackPacket }> {
  const client = await openMqtt(version);
  client.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: version,
    clientId: `test-${crypto.randomUUID().slice(0, 8)}`,
    clean: true,
    keepalive: options.keepalive ?? 60,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password as never } : {}),
    ...(options.will ? { will: { ...options.will, qos: 0, retain: false } } : {}),
  });
  const connack = (await client.next('connack')) as IConnackPacket;
  return { client, connack };
}

/** Connects as an enrolled device and expects to be accepted. */
export async function connectDevice(
  version: 4 | 5,
  device: { deviceId: string; deviceToken: string },
  options: Omit<ConnectOptions, 'username' | 'password'> = {},
): Promise<MqttTestClient> {
  const { client, connack } = await connectMqtt(version, {
    ...options,
    username: device.deviceId,
    password: device.deviceToken,
  });
  expect(version === 5 ? connack.reasonCode : connack.returnCode).toBe(0);
  return client;
}

let nextMessageId = 1;
/** Publishes `body` (JSON-encoded unless a string or bytes) on the device's ingest topic, or on `topic`. */
export function publish(
  client: MqttTestClient,
  deviceId: string,
  body: unknown,
  options: { qos?: 0 | 1; topic?: string } = {},
): number {
  const messageId = nextMessageId++;
  const payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  client.send({
    cmd: 'publish',
    topic: options.topic ?? mqttTopics(deviceId).ingest,
    payload: payload as never,
    qos: options.qos ?? 1,
    messageId,
    retain: false,
    dup: false,
  });
  return messageId;
}

/** D1 events of one type for a device, oldest first. */
export async function deviceEvents(deviceId: string, type: string) {
  const { results } = await env.DB.prepare(
    "SELECT type, subject, correlation_id, data FROM events WHERE type = ? AND subject LIKE '%.device.' || ? || '.event.%' ORDER BY ts",
  )
    .bind(type, deviceId)
    .all<{ type: string; subject: string; correlation_id: string | null; data: string }>();
  return results.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
}

/** Polls until `probe` returns a value, or fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
