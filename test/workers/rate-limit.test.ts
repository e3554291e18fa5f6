import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { RATE_LIMITS, type RateLimitRule } from '../../workers/src/middleware/rate-limit/index.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { ingestLimit } from '../../workers/src/services/ingest/token-bucket.ts';
import { api, batch, enroll, ingest, login, seedOrg, seedUser } from './helpers.ts';

const IN_FLIGHT = 16;
// Up to 2 × limit + 1 requests through workerd: seconds, not the default 5.
const SLOW = 60_000;

/**
 * Sends requests until the first refusal. Windows are aligned to the clock, so the first one
 * may be partly over: the limit shows within 2 × limit + 1 requests, after `limit` to
 * `2 × limit` were let through. Returns the refusal and how many were let through.
 */
async function untilRefused(rule: RateLimitRule, send: (i: number) => Promise<Response>) {
  let passed = 0;
  for (let sent = 0; sent < 2 * rule.limit + 1; sent += IN_FLIGHT) {
    const n = Math.min(IN_FLIGHT, 2 * rule.limit + 1 - sent);
    const answers = await Promise.all(Array.from({ length: n }, (_, k) => send(sent + k)));
    const refused = answers.find((r) => r.status === 429);
    passed += answers.filter((r) => r.status !== 429).length;
    for (const r of answers) if (r !== refused) await r.body?.cancel();
    if (refused) return { refused, passed };
  }
  throw new Error(`no 429 after ${2 * rule.limit + 1} requests`);
}

async function expectRefusal(res: Response, rule: RateLimitRule) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(rule.period);
  expect(await res.json()).toEqual({
    error: {
      code: 'rate_limited',
      message: `rate limit of ${rule.limit} ${rule.what} per ${rule.period} s exceeded; retry in ${retryAfter} s`,
    },
  });
}

describe('rate limits', () => {
  it(
    'refuses an API key past its limit with 429 and Retry-After, and leaves other keys alone',
    async () => {
      const org = await seedOrg(['read']);
      const { refused, passed } = await untilRefused(RATE_LIMITS.api, () => api(org.apiKey, '/v1/auth/me'));
      expect(passed).toBeGreaterThanOrEqual(RATE_LIMITS.api.limit);
      expect(passed).toBeLessThanOrEqual(2 * RATE_LIMITS.api.limit);
      await expectRefusal(refused, RATE_LIMITS.api);

      const other = await seedOrg(['read']);
      expect((await api(other.apiKey, '/v1/auth/me')).status).toBe(200);
    },
    SLOW,
  );

  it(
    'refuses a device past its ingest limit, stores nothing for the refused batch, and leaves other devices alone',
    async () => {
      const org = await seedOrg();
      const chatty = await enroll(org, 'chatty');
      const ts = Date.now() - 60_000;
      // A token bucket of INGEST_BURST batches, refilled at INGEST_RATE_PER_MINUTE: the burst goes
      // through, then at most the refill of the time the test took.
      const { perMinute, burst } = ingestLimit(env);
      const started = Date.now();
      let passed = 0;
      let refused: Response | undefined;
      for (let i = 0; !refused && i < 2 * burst; i++) {
        const res = await ingest(chatty.deviceToken, batch(`b-${i}`, [{ metric: 'm', ts: ts + i, value: i }]));
        if (res.status === 429) refused = res;
        else {
          expect(res.status).toBe(200);
          await res.body?.cancel();
          passed++;
        }
      }
      const refill = Math.ceil(((Date.now() - started) / 60_000) * perMinute);
      expect(passed).toBeGreaterThanOrEqual(burst);
      expect(passed).toBeLessThanOrEqual(burst + refill);
      expect(refused!.headers.get('retry-after')).toBe('1');
      expect(await refused!.json()).toEqual({
        error: {
          code: 'rate_limited',
          message: `rate limit of ${perMinute} ingest batches per minute for this device exceeded; retry in 1 s`,
        },
      });
      // Nothing of the refused batch was stored.
      expect((await deviceHubFor(env, chatty.deviceId).stats()).samples).toBe(passed);

      const quiet = await enroll(org, 'quiet');
      const res = await ingest(quiet.deviceToken, batch('q-1', [{ metric: 'm', ts, value: 1 }]));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ batchId: 'q-1', accepted: 1, duplicate: false });
    },
    SLOW,
  );

  it(
    'refuses sign-in attempts for one email past the limit, even with the right password, but not for another email',
    async () => {
      const org = await seedOrg();
      for (const email of ['eve@example.com', 'ann@example.com']) await seedUser(org.orgId, email, 'right');
      const { refused, passed } = await untilRefused(RATE_LIMITS.login, () =>
        login({ email: 'eve@example.com', password: 'wrong' }),
      );
      expect(passed).toBeGreaterThanOrEqual(RATE_LIMITS.login.limit);
      await expectRefusal(refused, RATE_LIMITS.login);
      await expectRefusal(await login({ email: 'EVE@example.com', password: 'right' }), RATE_LIMITS.login);

      expect((await login({ email: 'ann@example.com', password: 'right' })).status).toBe(200);
    },
    SLOW,
  );
});
