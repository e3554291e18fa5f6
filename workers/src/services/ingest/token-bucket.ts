import { settings } from '../../settings.ts';

/**
 * A token bucket: up to `capacity` requests at once, refilled at `perSecond`. Kept in memory
 * by the one object that sees every request of its key (a device's DeviceHub), so it costs no
 * extra hop; an evicted object starts again with a full bucket, which only ever errs towards
 * letting a device through.
 */
export class TokenBucket {
  private readonly capacity: number;
  private readonly perSecond: number;
  private tokens: number;
  private last: number;

  constructor(capacity: number, perSecond: number, now = Date.now()) {
    this.capacity = capacity;
    this.perSecond = perSecond;
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes one token, or says in how many whole seconds one will be there. */
  take(now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond)) };
  }
}

/** The per-device ingest limit from the Worker's vars (wrangler.toml), with its defaults. */
export function ingestLimit(env: Env): { perMinute: number; burst: number } {
  const { INGEST_RATE_PER_MINUTE: perMinute, INGEST_BURST: burst } = settings(env);
  return { perMinute, burst };
}

/** Why a batch was refused, the same words over HTTPS (429) and MQTT (PUBACK 0x97). */
export const ingestLimitMessage = (perMinute: number, retryAfterSeconds: number) =>
  `rate limit of ${perMinute} ingest batches per minute for this device exceeded; retry in ${retryAfterSeconds} s`;
