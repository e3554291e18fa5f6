import { ApiError } from '../../errors.ts';

/** One `[[ratelimits]]` binding of wrangler.toml, with the figures the binding itself cannot report. */
export interface RateLimitRule {
  binding: 'API_RATE_LIMITER' | 'LOGIN_RATE_LIMITER';
  /** Requests allowed per window: keep equal to `simple.limit` in wrangler.toml. */
  limit: number;
  /** Window in seconds (the platform allows 10 or 60): keep equal to `simple.period`. */
  period: 10 | 60;
  /** What is counted, for the 429 message. */
  what: string;
}

/**
 * The limits the Worker enforces. The binding only answers yes or no, so the figures live
 * here too, to name the limit and compute `Retry-After`.
 */
export const RATE_LIMITS = {
  api: { binding: 'API_RATE_LIMITER', limit: 600, period: 60, what: 'requests per API key or session' },
  login: { binding: 'LOGIN_RATE_LIMITER', limit: 10, period: 60, what: 'sign-in attempts per email and address' },
} as const satisfies Record<string, RateLimitRule>;

/** Seconds until the current window ends; windows are aligned to the clock, so 1..period. */
export function secondsToWindowEnd(period: number, now = Date.now()): number {
  return period - (Math.floor(now / 1000) % period);
}

/** Counts one request against `key`, or throws 429 `rate_limited` with `Retry-After`. */
export async function enforceRateLimit(env: Env, rule: RateLimitRule, key: string): Promise<void> {
  const { success } = await env[rule.binding].limit({ key });
  if (success) return;
  const retryAfter = secondsToWindowEnd(rule.period);
  throw new ApiError(
    429,
    'rate_limited',
    `rate limit of ${rule.limit} ${rule.what} per ${rule.period} s exceeded; retry in ${retryAfter} s`,
    { headers: { 'Retry-After': String(retryAfter) } },
  );
}
