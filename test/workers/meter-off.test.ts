import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('GET /health/meter with METER off (the default)', () => {
  it('is a 404 in the one error shape', async () => {
    const res = await SELF.fetch('https://edgewatch.test/health/meter');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'route not found' } });
  });
});
