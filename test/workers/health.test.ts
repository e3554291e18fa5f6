import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/src/index.ts';

describe('GET /health/deep', () => {
  it('answers 200 with D1, a Durable Object and the queue all checked', async () => {
    const res = await SELF.fetch('http://test/health/deep');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; ms: number }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks)).toEqual(['d1', 'durableObject', 'queue']);
    for (const check of Object.values(body.checks)) {
      expect(check.ok).toBe(true);
      expect(check.ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('needs no credentials', async () => {
    expect((await SELF.fetch('http://test/health')).status).toBe(200);
    expect(
      (await SELF.fetch('http://test/health/deep', { headers: { authorization: 'Bearer nonsense' } })).status,
    ).toBe(200);
  });
});

describe('ALERTS_QUEUE consumer', () => {
  it('acknowledges health pings, and unknown messages instead of retrying them', async () => {
    const batch = createMessageBatch('edgewatch-alerts', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { type: 'health.ping', at: Date.now() } },
      { id: 'm2', timestamp: new Date(), attempts: 1, body: { type: 'something.else' } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['m1', 'm2']);
    expect(result.retryMessages).toEqual([]);
  });
});
