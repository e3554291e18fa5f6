import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, seedOrg } from './helpers.ts';

const create = (key: string, body: unknown) =>
  api(key, '/v1/api-keys', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('/v1/api-keys', () => {
  it('creates a key shown once, stored hashed, listed by prefix, and usable with its scopes only', async () => {
    const org = await seedOrg();
    const res = await create(org.apiKey, { name: 'grafana', scopes: ['read'] });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; key: string; prefix: string; scopes: string[] };
    expect(created.key).toMatch(/^ewk_/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.scopes).toEqual(['read']);
    const stored = await env.DB.prepare('SELECT key_hash FROM api_keys WHERE id = ?')
      .bind(created.id)
      .first<{ key_hash: string }>();
    expect(stored!.key_hash).toMatch(/^[0-9a-f]{64}$/);

    const list = (await (await api(org.apiKey, '/v1/api-keys')).json()) as { keys: Record<string, unknown>[] };
    const listed = list.keys.find((k) => k.id === created.id)!;
    expect(listed).toMatchObject({ name: 'grafana', prefix: created.prefix });
    expect(listed).not.toHaveProperty('key');
    expect(JSON.stringify(list)).not.toContain(created.key);

    expect((await api(created.key, '/v1/devices')).status).toBe(200);
    expect((await api(created.key, '/v1/api-keys')).status).toBe(403);
  });

  it('revokes a key so it authenticates nothing more', async () => {
    const org = await seedOrg();
    const { id, key } = (await (await create(org.apiKey, { name: 'ci', scopes: ['read', 'write'] })).json()) as {
      id: string;
      key: string;
    };
    expect((await api(key, '/v1/devices')).status).toBe(200);
    const del = await api(org.apiKey, `/v1/api-keys/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await api(key, '/v1/devices')).status).toBe(401);
    expect((await api(org.apiKey, `/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it.each([
    [{ scopes: ['read'] }, 'name'],
    [{ name: 'x', scopes: [] }, 'scopes'],
    [{ name: 'x', scopes: ['root'] }, 'scopes.0'],
    [{ name: 'x', scopes: ['read'], extra: 1 }, ''],
  ])('rejects %j naming the field', async (body, field) => {
    const org = await seedOrg();
    const res = await create(org.apiKey, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; field?: string } };
    expect(err.error.code).toBe('invalid_input');
    if (field) expect(err.error.field).toBe(field);
  });

  it("needs admin, and never reaches another org's keys", async () => {
    const org = await seedOrg();
    const writer = await seedOrg(['read', 'write']);
    expect((await create(writer.apiKey, { name: 'x', scopes: ['read'] })).status).toBe(403);
    // An admin-only key cannot mint a key with scopes it lacks itself.
    const adminOnly = await seedOrg(['admin']);
    const widen = await create(adminOnly.apiKey, { name: 'x', scopes: ['read'] });
    expect(widen.status).toBe(403);
    expect(await widen.json()).toMatchObject({ error: { code: 'forbidden' } });
    const other = await seedOrg();
    const { id } = (await (await create(other.apiKey, { name: 'theirs', scopes: ['read'] })).json()) as { id: string };
    expect((await api(org.apiKey, `/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(404);
    const mine = (await (await api(org.apiKey, '/v1/api-keys')).json()) as { keys: { id: string }[] };
    expect(mine.keys.map((k) => k.id)).not.toContain(id);
  });
});
