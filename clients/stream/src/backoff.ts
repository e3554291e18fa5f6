/** Reconnect delays. */
export interface Backoff {
  /** The delay before the next attempt, in ms; each call counts one more failure. */
  next(): number;
  /** Call once a connection is healthy again. */
  reset(): void;
}

export interface BackoffOptions {
  /** First ceiling, in ms. */
  baseMs: number;
  /** Largest ceiling, in ms. */
  maxMs: number;
  /** For tests; defaults to Math.random. */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base · 2^attempt)].
 * Full jitter spreads a fleet of clients that all lost the same server (a deploy), so they
 * don't come back in step.
 */
export function fullJitterBackoff(opts: BackoffOptions): Backoff {
  const random = opts.random ?? Math.random;
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
      attempt += 1;
      return Math.round(random() * ceiling);
    },
    reset() {
      attempt = 0;
    },
  };
}
