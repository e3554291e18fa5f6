import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRequestError, httpRequest } from '../../agent/src/transports/http-request.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  server = createServer(handler);
  const sockets = new Set<unknown>();
  server.on('connection', (s) => sockets.add(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => sockets.size };
}

describe('httpRequest (node:http, keep-alive)', () => {
  it('sends the body with its length and reuses one connection for consecutive requests', async () => {
    const bodies: string[] = [];
    const s = await serve((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        bodies.push(`${req.headers['content-length']}:${body}`);
        res.setHeader('etag', '"v1"');
        res.end('{"ok":true}');
      });
    });
    for (const body of ['one', 'two', 'three']) {
      const res = await httpRequest(new URL(`${s.url}/x`), { method: 'POST', body, timeoutMs: 5_000 });
      expect(res).toMatchObject({ status: 200, ok: true, text: '{"ok":true}' });
      expect(res.header('ETag')).toBe('"v1"');
    }
    expect(bodies).toEqual(['3:one', '3:two', '5:three']);
    expect(s.connections()).toBe(1);
  });

  it('rejects with the reason when aborted, and does not wait for the answer', async () => {
    const s = await serve(() => {});
    const abort = new AbortController();
    const pending = httpRequest(new URL(s.url), { timeoutMs: 60_000, signal: abort.signal });
    abort.abort(new Error('shutting down'));
    await expect(pending).rejects.toMatchObject({ reason: 'shutting down' });
  });

  it('refuses an answer larger than 8 MiB', async () => {
    const s = await serve((_req, res) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const more = () => {
        while (sent < 9 && res.write(chunk)) sent++;
        if (sent < 9) res.once('drain', more);
        else res.end();
      };
      more();
    });
    const err = await httpRequest(new URL(s.url), { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpRequestError);
    expect((err as HttpRequestError).reason).toMatch(/larger than 8388608 bytes/);
  });
});
