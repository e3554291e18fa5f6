/** Helpers for reading the Worker's HTTP failure responses. */

/** Longest `Retry-After` honoured, so a bogus far-future date cannot stall shipping for good. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * Parses `Retry-After` (delay in seconds, or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unparseable; caps at {@link MAX_RETRY_AFTER_MS}.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/**
 * Describes a failed response for logs: `400 invalid_batch: … (field samples.3.value)` when the
 * body is the Worker's `{error:{code,message,field?}}`, else the status and the start of the body.
 */
export function describeHttpError(status: number, statusText: string, body: string): { reason: string; code?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const e = parsed.error;
    if (e && typeof e.code === 'string') {
      const field = typeof e.field === 'string' ? ` (field ${e.field})` : '';
      return { reason: `${status} ${e.code}: ${String(e.message ?? '')}${field}`, code: e.code };
    }
  } catch {
    // Not JSON: a proxy or load balancer answered, not the Worker.
  }
  const snippet = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return { reason: `${status} ${statusText}${snippet ? `: ${snippet}` : ''}` };
}
