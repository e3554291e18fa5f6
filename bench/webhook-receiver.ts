import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Whether `standardwebhooks` accepted the signature (undefined when no secret was given). */
  verified?: boolean;
}

/**
 * A webhook receiver on a free loopback port: it answers 204 to every POST, records when each
 * arrived, and verifies Standard Webhooks signatures with the reference implementation.
 * `next(pred)` resolves with the first delivery (already received or still to come) that
 * matches and was not handed out before.
 */
export async function startReceiver(secret?: () => string | undefined) {
  const received: Received[] = [];
  const taken = new Set<Received>();
  const waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const raw = Buffer.concat(chunks).toString('utf8');
      let verified: boolean | undefined;
      const key = secret?.();
      if (key) {
        try {
          new Webhook(key).verify(raw, req.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
      }
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as text */
      }
      const r: Received = { at, headers: req.headers, body, verified };
      received.push(r);
      res.writeHead(204).end();
      const i = waiters.findIndex((w) => w.pred(r));
      if (i >= 0) {
        taken.add(r);
        waiters.splice(i, 1)[0]!.resolve(r);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    next(pred: (r: Received) => boolean, timeoutMs = 30_000): Promise<Received> {
      const ready = received.find((r) => !taken.has(r) && pred(r));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (r: Received) => (clearTimeout(timer), resolve(r)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching webhook within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
