import { Agent as HttpAgent, request as httpRequestRaw, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequestRaw } from 'node:https';

/** A complete response: status, headers and the body read as UTF-8. */
export interface HttpResponse {
  status: number;
  statusText: string;
  ok: boolean;
  /** A header's value (first one when repeated), by lower-case name. */
  header(name: string): string | undefined;
  text: string;
}

export interface HttpRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** No complete response within this many ms rejects with `no response within … ms`. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A request that got no response: `reason` is what the shipper and the logs show. */
export class HttpRequestError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'HttpRequestError';
    this.reason = reason;
  }
}

// Larger answers are not the Worker's: a portal or proxy page, or a stream that never ends.
const MAX_BODY_BYTES = 8 * 1024 * 1024;

// node:http rather than the global fetch: fetch loads undici and compiles its WebAssembly HTTP
// parser, which took a Node 20 agent's peak RSS from about 45 to 85 MiB (docs/agent.md,
// "Footprint"). node:http uses the parser built into Node. Keep-alive agents reuse the
// connection between batches; Node unrefs idle sockets, so they never keep the process alive.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 4, timeout: 60_000 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 4, timeout: 60_000 }),
};

/**
 * One HTTP(S) request to the Worker, resolved with the whole response once it has ended.
 * Rejects with {@link HttpRequestError} on network failure, timeout or abort; never for an
 * HTTP status.
 */
export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  const { timeoutMs, signal } = options;
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    let settled = false;
    const finish = (err: HttpRequestError | undefined, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(res!);
    };
    const onAbort = () => finish(new HttpRequestError(abortReason(signal)));
    const timer = setTimeout(() => finish(new HttpRequestError(`no response within ${timeoutMs} ms`)), timeoutMs);
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = send(url, { method: options.method ?? 'GET', headers, agent }, (res) =>
      readBody(res).then(
        (text) => finish(undefined, toResponse(res, text)),
        (err: Error) => finish(new HttpRequestError(networkReason(err))),
      ),
    );
    req.on('error', (err) => finish(new HttpRequestError(networkReason(err))));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(options.body);
  });
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) res.destroy(new Error(`response larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('connection closed mid-response')));
  });
}

function toResponse(res: IncomingMessage, text: string): HttpResponse {
  const status = res.statusCode ?? 0;
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    header: (name) => {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
    text,
  };
}

/** `connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)`: the message, and the code grep-able on its own. */
function networkReason(err: Error & { code?: string }): string {
  return err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
}

function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  return r instanceof Error ? r.message : 'aborted';
}
