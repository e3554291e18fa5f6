import { promisify } from 'node:util';
import { gzip as gzipCallback, gzipSync } from 'node:zlib';
import type { IngestAck, IngestBatch } from '../../../schema/wire/ingest.ts';
import { ingestBody } from '../spool/body.ts';
import type { Batch } from '../spool/types.ts';
import { describeHttpError, parseRetryAfter } from './http-errors.ts';
import { HttpRequestError, httpRequest, type HttpResponse } from './http-request.ts';
import type { SendOptions, SendResult, Transport } from './types.ts';

const gzipAsync = promisify(gzipCallback);

// A batch of one interval's samples is a few KiB of JSON, which deflates in well under a
// millisecond: the async form's stream and thread-pool hop cost more CPU than the work.
// Larger bodies (catching up after an outage) go to the thread pool so collection stays on time.
const SYNC_GZIP_MAX_BYTES = 64 * 1024;

function gzip(text: string): Promise<Buffer> | Buffer {
  return text.length <= SYNC_GZIP_MAX_BYTES ? gzipSync(text) : gzipAsync(text);
}

export interface HttpsTransportOptions {
  /** Worker base URL, e.g. `https://edgewatch.example.com`; batches go to `${url}/v1/ingest`. */
  url: string;
  /** Sent as `Authorization: Bearer <deviceToken>`. */
  deviceToken: string;
  /** Added to every batch so the Worker can show which agent sent it. */
  agent?: IngestBatch['agent'];
  /** Per-request timeout, default 15 000 ms. */
  timeoutMs?: number;
}

/** Ships batches as gzip-compressed JSON with `POST /v1/ingest`, over node:http(s) with keep-alive. */
export function createHttpsTransport(options: HttpsTransportOptions): Transport {
  const endpoint = new URL('v1/ingest', options.url.endsWith('/') ? options.url : `${options.url}/`);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const headers = {
    authorization: `Bearer ${options.deviceToken}`,
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'user-agent': `edgewatch-agent/${options.agent?.version ?? 'unknown'}`,
  };

  return {
    name: 'https',
    // HTTP needs no session; http-request.ts keeps connections alive between sends.
    async connect() {},
    async close() {},

    async send(batch: Batch, sendOptions: SendOptions = {}): Promise<SendResult> {
      const body = await gzip(JSON.stringify(ingestBody(batch, options.agent)));
      let res: HttpResponse;
      try {
        res = await httpRequest(endpoint, { method: 'POST', headers, body, timeoutMs, signal: sendOptions.signal });
      } catch (err) {
        if (err instanceof HttpRequestError) return { kind: 'retryable', reason: err.reason };
        throw err;
      }
      const text = res.text;

      if (res.ok) {
        const ack = parseAck(text);
        if (ack?.batchId === batch.batchId) return { kind: 'ok', ack };
        // A 2xx without our ack came from something other than the Worker (portal, proxy).
        return {
          kind: 'retryable',
          status: res.status,
          reason: `${res.status} response is not an ack for ${batch.batchId}`,
        };
      }
      const { reason, code } = describeHttpError(res.status, res.statusText, text);
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        return {
          kind: 'retryable',
          status: res.status,
          reason,
          retryAfterMs: parseRetryAfter(res.header('retry-after') ?? null),
        };
      }
      return { kind: 'permanent', status: res.status, reason, ...(code ? { code } : {}) };
    },
  };
}

function parseAck(text: string): IngestAck | undefined {
  try {
    const v = JSON.parse(text) as Partial<IngestAck>;
    if (typeof v.batchId === 'string' && typeof v.accepted === 'number' && typeof v.duplicate === 'boolean') {
      return { batchId: v.batchId, accepted: v.accepted, duplicate: v.duplicate };
    }
  } catch {
    // Falls through: not an ack.
  }
  return undefined;
}
