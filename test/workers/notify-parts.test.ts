import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, queueDelaySeconds, retryDelayMs } from '../../workers/src/services/notify/retry.ts';
import {
  decryptSecret,
  encryptSecret,
  newWebhookSecret,
  WebhookKeyError,
} from '../../workers/src/services/notify/secret-box.ts';
import { signedHeaders } from '../../workers/src/services/notify/signing.ts';

describe('retry timing', () => {
  const schedule = [5_000, 300_000, 1_800_000];

  it('jitters each step by ±20 % and ends with the schedule', () => {
    expect(retryDelayMs(schedule, 0, null, () => 0)).toBe(4_000);
    expect(retryDelayMs(schedule, 0, null, () => 1)).toBe(6_000);
    expect(retryDelayMs(schedule, 2, null, () => 0.5)).toBe(1_800_000);
    expect(retryDelayMs(schedule, 3, null)).toBeNull();
  });

  it('waits at least what Retry-After asks, but never past the longest step', () => {
    expect(retryDelayMs(schedule, 0, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(schedule, 0, 86_400_000, () => 0.5)).toBe(1_800_000);
    expect(retryDelayMs(schedule, 1, 1_000, () => 0.5)).toBe(300_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('turns waits into queue delays: whole seconds, at most 12 hours', () => {
    expect(queueDelaySeconds(1)).toBe(1);
    expect(queueDelaySeconds(4_000)).toBe(4);
    expect(queueDelaySeconds(86_400_000)).toBe(43_200);
  });
});

describe('signing secrets', () => {
  it('are sealed per webhook: another row’s id or another key cannot open them', async () => {
    const secret = newWebhookSecret();
    const sealed = await encryptSecret(env, 'whk_a', secret);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(await decryptSecret(env, 'whk_a', sealed)).toBe(secret);
    await expect(decryptSecret(env, 'whk_b', sealed)).rejects.toThrow();
    const otherKey = { ...env, WEBHOOK_SECRETS_KEY: btoa('x'.repeat(32)) } as Env;
    await expect(decryptSecret(otherKey, 'whk_a', sealed)).rejects.toThrow();
    const noKey = { ...env, WEBHOOK_SECRETS_KEY: '' } as Env;
    await expect(encryptSecret(noKey, 'whk_a', secret)).rejects.toBeInstanceOf(WebhookKeyError);
  });

  it('sign as the reference implementation verifies, with both secrets during a rotation', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ type: 'webhook.test', data: { é: 1 } });
    const headers = signedHeaders([current, previous], 'dlv_1', new Date(), body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=* v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow('No matching signature found');
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow();
  });
});
