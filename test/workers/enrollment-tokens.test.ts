import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, seedOrg } from './helpers.ts';

const create = (key: string, body: unknown) =>
  api(key, '/v1/enrollment-tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const enrollWith = (token: string, name: string) =>
  SELF.fetch('http://test/v1/agents/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, name }),
  });

describe('/v1/enrollment-tokens', () => {
  it('creates a single-use token shown once and stored hashed, usable exactly once', async () => {
    const org = await seedOrg();
    const res = await create(org.apiKey, { expiresInHours: 2 });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; token: string; maxUses: number; expiresAt: number };
    expect(body.token).toMatch(/^ewe_/);
    expect(body.maxUses).toBe(1);
    expect(body.expiresAt).toBeGreaterThan(Date.now() + 3600_000);
    const stored = await env.DB.prepare('SELECT token_hash FROM enrollment_tokens WHERE id = ?')
      .bind(body.id)
      .first<{ token_hash: string }>();
    expect(stored!.token_hash).not.toContain(body.token);

    const list = (await (await api(org.apiKey, '/v1/enrollment-tokens')).json()) as {
      tokens: Record<string, unknown>[];
    };
    const listed = list.tokens.find((t) => t.id === body.id)!;
    expect(listed).toMatchObject({ uses: 0, maxUses: 1 });
    expect(listed).not.toHaveProperty('token');

    expect((await enrollWith(body.token, 'a')).status).toBe(201);
    expect((await enrollWith(body.token, 'b')).status).toBe(401);
  });

  it('revokes a multi-use token so it enrolls nothing more', async () => {
    const org = await seedOrg();
    const { id, token } = (await (await create(org.apiKey, { maxUses: null, kind: 'gateway' })).json()) as {
      id: string;
      token: string;
    };
    const first = await enrollWith(token, 'gw-1');
    expect(await first.json()).toMatchObject({ kind: 'gateway' });
    const del = await api(org.apiKey, `/v1/enrollment-tokens/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await del.json()) as { revokedAt: number }).toHaveProperty('revokedAt');
    expect((await enrollWith(token, 'gw-2')).status).toBe(401);
    expect((await api(org.apiKey, `/v1/enrollment-tokens/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('validates the body and scopes tokens to the org', async () => {
    const org = await seedOrg();
    const bad = await create(org.apiKey, { expiresInHours: 0 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'expiresInHours' } });
    expect((await create(org.apiKey, { siteId: 'site_nope' })).status).toBe(404);

    const other = await seedOrg();
    const { id } = (await (await create(other.apiKey, {})).json()) as { id: string };
    expect((await api(org.apiKey, `/v1/enrollment-tokens/${id}`, { method: 'DELETE' })).status).toBe(404);
    const mine = (await (await api(org.apiKey, '/v1/enrollment-tokens')).json()) as { tokens: { id: string }[] };
    expect(mine.tokens.map((t) => t.id)).not.toContain(id);
    const reader = await seedOrg(['read']);
    expect((await create(reader.apiKey, {})).status).toBe(403);
  });
});
