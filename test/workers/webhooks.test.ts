import { describe, expect, it } from 'vitest';
import { api, seedOrg } from './helpers.ts';

const json = (method: string, body: unknown) => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('POST /v1/webhooks', () => {
  it('creates a channel and shows its secret once', async () => {
    const org = await seedOrg();
    const res = await api(org.apiKey, '/v1/webhooks', json('POST', { name: 'x', url: 'https://hooks.example.com/a' }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { secret: string };
    expect(body.secret).toMatch(/^whsec_/);
  });
});
