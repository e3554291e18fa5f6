/** Reconnect delays: exponential with full jitter, so a fleet of tabs doesn't reconnect in step after a deploy. */
export interface Backoff {
  /** The delay before the next attempt, in ms; each call counts one more failure. */
  next(): number;
  /** Call once a connection is healthy again. */
  reset(): void;
}

export function backoff(opts: { baseMs?: number; maxMs?: number; random?: () => number } = {}): Backoff {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 30_000;
  const random = opts.random ?? Math.random;
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(max, base * 2 ** attempt);
      attempt += 1;
      // Never below half the base, so a flapping server is not hammered.
      return Math.round(base / 2 + random() * Math.max(0, ceiling - base / 2));
    },
    reset() {
      attempt = 0;
    },
  };
}
