import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A request as the test server received it; `json` is the body, un-gzipped when needed. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: unknown;
}

/** What the server answers; `hang` never answers (for timeouts). */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  hang?: boolean;
}

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

type WireSample = { metric: string; ts: number; value: number; labels?: Record<string, string> };

/** The samples of an ingest body in either form (the agent sends the series-grouped one). */
export function samplesOf(body: unknown): WireSample[] {
  const b = body as {
    samples?: WireSample[];
    series?: { metric: string; labels?: Record<string, string>; points: [number, number][] }[];
  };
  if (b.samples) return b.samples;
  return (b.series ?? []).flatMap((s) =>
    s.points.map(([ts, value]) => ({ metric: s.metric, ts, value, ...(s.labels ? { labels: s.labels } : {}) })),
  );
}

/** Acknowledges an ingest batch the way the Worker does. */
export function ack(req: RecordedRequest): Reply {
  const batch = req.json as { batchId: string };
  return { status: 200, body: { batchId: batch.batchId, accepted: samplesOf(batch).length, duplicate: false } };
}

/** A real HTTP server on 127.0.0.1 and a free port, recording every request. */
export async function startServer(reply: (req: RecordedRequest, index: number) => Reply = ack): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, json };
      requests.push(recorded);
      const r = reply(recorded, requests.length - 1);
      if (r.hang) return;
      const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {});
      res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...r.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `ms`. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
