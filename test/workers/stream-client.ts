import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import type { StreamServerFrame } from '../../schema/wire/stream.ts';
import { closeSocketsAfterEach } from './open-sockets.ts';

/** A stream client for tests: frames are queued and awaited one at a time. */
export type Frame = StreamServerFrame & Record<string, unknown>;

export interface Client {
  ws: WebSocket;
  send(message: unknown): void;
  next(timeoutMs?: number): Promise<Frame>;
  /** Sends a message and returns the next frame. */
  ask(message: unknown): Promise<Frame>;
  /**
   * Resolves with the frames that arrive before the hub answers a ping sent now (none
   * expected, usually). The hub handles a connection's messages and publishes in order and
   * sends a frame it may send at once, so a frame missing here is one it is holding back.
   */
  idle(): Promise<Frame[]>;
  closed: Promise<{ code: number; reason: string }>;
}

export interface ConnectOptions {
  /**
   * Credits granted right after the upgrade, so tests about other things receive data as
   * before credits existed; 0 grants none.
   */
  credits?: number;
}

const open = closeSocketsAfterEach();

export function upgrade(headers: Record<string, string>) {
  return SELF.fetch('http://x/v1/stream', { headers: { Upgrade: 'websocket', ...headers } });
}

export async function connect(
  apiKey: string,
  headers: Record<string, string> = {},
  options: ConnectOptions = {},
): Promise<Client> {
  const res = await upgrade({ Authorization: `Bearer ${apiKey}`, ...headers });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const queue: Frame[] = [];
  const waiters: ((f: Frame) => void)[] = [];
  ws.addEventListener('message', (e) => {
    const f = JSON.parse(e.data as string) as Frame;
    const waiter = waiters.shift();
    if (waiter) waiter(f);
    else queue.push(f);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  );
  ws.accept();
  open.push(ws);
  const next = (timeoutMs = 3000) => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise<Frame>((resolve, reject) => {
      const waiter = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };
  const send = (m: unknown) => ws.send(typeof m === 'string' || m instanceof ArrayBuffer ? m : JSON.stringify(m));
  const idle = async () => {
    // Not the exact `{"type":"ping"}`, which the platform answers without reaching the hub.
    send({ type: 'ping', barrier: true });
    const before: Frame[] = [];
    for (let f = await next(); f.type !== 'pong'; f = await next()) before.push(f);
    return before;
  };
  const credits = options.credits ?? 10_000;
  if (credits > 0) send({ type: 'credit', n: credits });
  return { ws, send, next, ask: (m) => (send(m), next()), idle, closed };
}
