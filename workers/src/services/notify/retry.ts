/** When a failed delivery is tried again: the schedule, jitter, and the receiver's Retry-After. */

/** Cloudflare Queues delay a message by at most 12 hours; a longer wait is sent again when due. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

const JITTER = 0.2;

/**
 * The delay before retry number `retry` (0 for the first) of a series, or null when the schedule
 * is spent. The scheduled delay is jittered by ±20 % so channels that failed together do not
 * retry together; a `Retry-After` makes it longer, never past the schedule's longest step.
 */
export function retryDelayMs(
  schedule: readonly number[],
  retry: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const step = schedule[retry];
  if (step === undefined) return null;
  const jittered = step * (1 - JITTER + 2 * JITTER * random());
  const longest = Math.max(...schedule);
  return Math.round(retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, longest)));
}

/** `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP date; null if absent or unusable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Queue delay for a wait of `ms`: whole seconds, capped at what Queues accept. */
export const queueDelaySeconds = (ms: number) => Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(ms / 1000)));
