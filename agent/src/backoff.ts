/** Exponential backoff settings. */
export interface BackoffOptions {
  /** First ceiling, default 1 000 ms. */
  baseMs?: number;
  /** Largest ceiling, default 60 000 ms. */
  capMs?: number;
  /** Source of randomness in [0, 1); injectable so tests are exact. Default `Math.random`. */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry), with "full jitter":
 * uniform in [0, min(cap, base·2^attempt)), so many agents coming back at once spread out.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1_000;
  const cap = options.capMs ?? 60_000;
  const random = options.random ?? Math.random;
  // 2^attempt overflows to Infinity past ~1000 attempts; min() keeps that harmless.
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}
