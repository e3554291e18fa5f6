import type { Fetch } from './dns.ts';
import { guardedPost } from './redirects.ts';
import { parseRetryAfter } from './retry.ts';
import { signedHeaders } from './signing.ts';
import type { PrivateTargets } from './ssrf.ts';

/** Bytes of a receiver's answer kept in the delivery log. */
export const EXCERPT_BYTES = 1024;

export interface AttemptTarget {
  url: string;
  /** Signing secrets, newest first. */
  secrets: readonly string[];
}

export interface AttemptConfig {
  timeoutMs: number;
  allowPrivate: PrivateTargets;
  resolver: string;
  fetch?: Fetch;
}

/** What one attempt came to, as the delivery log records it. */
export interface AttemptOutcome {
  at: number;
  /** The final answer's status; null when none came (refused by the guard, timeout, connection error). */
  status: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
  /** The receiver's `Retry-After`, in ms. */
  retryAfterMs: number | null;
}

/**
 * One signed POST of `body` as delivery `deliveryId` (the `webhook-id`): freshly timestamped and
 * signed, through the SSRF guard and its redirects, within `timeoutMs` for the whole attempt.
 */
export async function attemptDelivery(
  deliveryId: string,
  body: string,
  target: AttemptTarget,
  config: AttemptConfig,
): Promise<AttemptOutcome> {
  const at = Date.now();
  const signal = AbortSignal.timeout(config.timeoutMs);
  const headers = signedHeaders(target.secrets, deliveryId, new Date(at), body);
  const done = (o: Partial<AttemptOutcome>): AttemptOutcome => ({
    at,
    status: null,
    latencyMs: Date.now() - at,
    error: null,
    responseExcerpt: null,
    retryAfterMs: null,
    ...o,
  });
  try {
    const result = await guardedPost(
      target.url,
      { headers, body },
      { allowPrivate: config.allowPrivate, resolver: config.resolver, fetch: config.fetch, signal },
    );
    if ('error' in result) return done({ error: result.error });
    const { response } = result;
    const latencyMs = Date.now() - at;
    const excerpt = await readExcerpt(response).catch(() => null);
    return done({
      status: response.status,
      latencyMs,
      error: response.ok ? null : `answered ${response.status}`,
      responseExcerpt: excerpt,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
    });
  } catch (err) {
    const timedOut = signal.aborted;
    return done({ error: timedOut ? `timed out after ${config.timeoutMs} ms` : describe(err) });
  }
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

/** The first {@link EXCERPT_BYTES} of the answer, as text; the rest is not read. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < EXCERPT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  const bytes = new Uint8Array(Math.min(size, EXCERPT_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  // A character cut at the limit decodes as U+FFFD: drop it rather than store half a character.
  return new TextDecoder().decode(bytes).replace(/\uFFFD$/, '');
}
