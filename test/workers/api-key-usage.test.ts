import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { LAST_USED_RESOLUTION_MS } from '../../workers/src/middleware/auth/index.ts';
import { api, seedOrg } from './helpers.ts';

interface KeyView {
  id: string;
  lastUsedAt: number | null;
}

const keys = async (apiKey: string) => ((await (await api(apiKey, '/v1/api-keys')).json()) as { keys: KeyView[] }).keys;

/** The update runs after the response (waitUntil): poll D1 briefly for it. */
async function lastUsed(keyId: string, until: (v: number | null) => boolean): Promise<number | null> {
  for (let i = 0; i < 50; i++) {
    const row = await env.DB.prepare('SELECT last_used_at FROM api_keys WHERE id = ?')
      .bind(keyId)
      .first<{ last_used_at: number | null }>();
    if (until(row!.last_used_at)) return row!.last_used_at;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('last_used_at never reached the expected value');
}

describe('API key last_used_at', () => {
  it('is null for a key never used, set when it authenticates, and shown in GET /v1/api-keys', async () => {
    const org = await seedOrg();
    const created = await api(org.apiKey, '/v1/api-keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'grafana', scopes: ['read'] }),
    });
    const fresh = (await created.json()) as KeyView & { key: string };
    const listed = (await keys(org.apiKey)).find((k) => k.id === fresh.id)!;
    expect(listed.lastUsedAt).toBeNull();

    const before = Date.now();
    expect((await api(fresh.key, '/v1/auth/me')).status).toBe(200);
    const used = await lastUsed(fresh.id, (v) => v !== null);
    expect(used).toBeGreaterThanOrEqual(before);
    expect(used).toBeLessThanOrEqual(Date.now());
    expect((await keys(org.apiKey)).find((k) => k.id === fresh.id)!.lastUsedAt).toBe(used);
  });

  it('is not rewritten within the minute, and is once the last write is older', async () => {
    const org = await seedOrg();
    const id = (await keys(org.apiKey))[0]!.id;
    const first = await lastUsed(id, (v) => v !== null);
    for (let i = 0; i < 3; i++) expect((await api(org.apiKey, '/v1/auth/me')).status).toBe(200);
    // Let any update those requests scheduled land before reading.
    await new Promise((r) => setTimeout(r, 200));
    expect(await lastUsed(id, () => true)).toBe(first);

    const longAgo = Date.now() - LAST_USED_RESOLUTION_MS - 1;
    await env.DB.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').bind(longAgo, id).run();
    expect((await api(org.apiKey, '/v1/auth/me')).status).toBe(200);
    expect(await lastUsed(id, (v) => v !== longAgo)).toBeGreaterThan(longAgo + LAST_USED_RESOLUTION_MS);
  });

  it('is not touched by a revoked key', async () => {
    const org = await seedOrg();
    const id = (await keys(org.apiKey))[0]!.id;
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ?, last_used_at = NULL WHERE id = ?')
      .bind(Date.now(), id)
      .run();
    expect((await api(org.apiKey, '/v1/auth/me')).status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(await lastUsed(id, () => true)).toBeNull();
  });
});
