import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { login, seedOrg, seedUser } from './helpers.ts';

describe('POST /v1/auth/login', () => {
  it('sets a secure HttpOnly session cookie that authenticates reads, stores only its hash, and logs out', async () => {
    const org = await seedOrg();
    await seedUser(org.orgId, 'ada@example.com', 'correct horse');
    const res = await login({ email: 'ada@example.com', password: 'correct horse' });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/ew_session=[^;]+/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const token = /ew_session=([^;]+)/.exec(cookie)![1]!;
    const stored = await env.DB.prepare('SELECT token_hash FROM sessions').all<{ token_hash: string }>();
    expect(stored.results.map((r) => r.token_hash)).not.toContain(token);

    const me = await SELF.fetch('http://test/v1/auth/me', { headers: { cookie: `ew_session=${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ orgId: org.orgId, via: 'session', scopes: ['read'] });

    await SELF.fetch('http://test/v1/auth/logout', { method: 'POST', headers: { cookie: `ew_session=${token}` } });
    expect((await SELF.fetch('http://test/v1/auth/me', { headers: { cookie: `ew_session=${token}` } })).status).toBe(
      401,
    );
  });

  it('refuses a wrong password and an unknown email with the same error', async () => {
    const org = await seedOrg();
    await seedUser(org.orgId, 'bob@example.com', 'right');
    for (const body of [
      { email: 'bob@example.com', password: 'wrong' },
      { email: 'nobody@example.com', password: 'x' },
    ]) {
      const res = await login(body);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { code: 'invalid_credentials', message: 'email or password is wrong' },
      });
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('finds the account whatever the case and surrounding spaces of the address', async () => {
    const org = await seedOrg();
    await seedUser(org.orgId, 'cara@example.com', 'correct horse');
    const res = await login({ email: '  Cara@Example.COM ', password: 'correct horse' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ orgId: org.orgId, user: { email: 'cara@example.com' } });
  });

  it('starts the session in an organisation that still exists, skipping a deleted one', async () => {
    const deleted = await seedOrg();
    const live = await seedOrg();
    const userId = await seedUser(deleted.orgId, 'dora@example.com', 'correct horse', 'owner');
    await env.DB.batch([
      env.DB.prepare('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)').bind(
        live.orgId,
        userId,
        'viewer',
        Date.now() + 1,
      ),
      env.DB.prepare('UPDATE organisations SET deleted_at = ? WHERE id = ?').bind(Date.now(), deleted.orgId),
    ]);
    const res = await login({ email: 'dora@example.com', password: 'correct horse' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ orgId: live.orgId, role: 'viewer' });
  });

  it('validates the body, naming the field', async () => {
    const res = await login({ email: 'not-an-email', password: 'x' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field: 'email' } });
  });
});

describe('POST /v1/agents/enroll', () => {
  const enrollWith = (body: unknown) =>
    SELF.fetch('http://test/v1/agents/enroll', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('creates a device whose token is stored hashed', async () => {
    const org = await seedOrg();
    const res = await enrollWith({ token: org.enrollmentToken, name: 'web-1', agentVersion: '0.1.0' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { deviceId: string; deviceToken: string; orgId: string; kind: string };
    expect(body).toMatchObject({ orgId: org.orgId, kind: 'host' });
    expect(body.deviceToken.startsWith(`ewd.${body.deviceId}.`)).toBe(true);
    const row = await env.DB.prepare('SELECT token_hash, name FROM devices WHERE id = ?')
      .bind(body.deviceId)
      .first<{ token_hash: string; name: string }>();
    expect(row!.name).toBe('web-1');
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.token_hash).not.toContain(body.deviceToken);
  });

  it('refuses an expired, used-up or unknown token', async () => {
    const org = await seedOrg();
    const now = Date.now();
    const { sha256Hex } = await import('../../workers/src/services/credentials/crypto.ts');
    await env.DB.batch([
      env.DB.prepare(
        'INSERT INTO enrollment_tokens (id, org_id, token_hash, kind, max_uses, uses, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).bind('enr_exp', org.orgId, await sha256Hex('ewe_expired_token_0000000'), 'host', null, 0, now - 1, now),
      env.DB.prepare(
        'INSERT INTO enrollment_tokens (id, org_id, token_hash, kind, max_uses, uses, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).bind('enr_once', org.orgId, await sha256Hex('ewe_single_use_token_0000'), 'host', 1, 0, now + 60_000, now),
    ]);
    expect((await enrollWith({ token: 'ewe_single_use_token_0000', name: 'a' })).status).toBe(201);
    for (const token of ['ewe_expired_token_0000000', 'ewe_single_use_token_0000', 'ewe_unknown_token_0000000']) {
      const res = await enrollWith({ token, name: 'b' });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_enrollment_token', field: 'token' } });
    }
    const n = await env.DB.prepare('SELECT COUNT(*) AS n FROM devices WHERE org_id = ?')
      .bind(org.orgId)
      .first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it('validates the body', async () => {
    const res = await enrollWith({ token: 'ewe_whatever_00000', name: '' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'name' } });
  });
});
