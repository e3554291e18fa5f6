import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../../workers/src/services/accounts/password-policy.ts';
import { auditRows, cookieOf, fetchWithVars, ORIGIN } from './account-helpers.ts';
import { seedOrg, seedUser } from './helpers.ts';

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const signupWith = (vars: Record<string, string>, body: unknown) => fetchWithVars(vars, '/v1/auth/signup', json(body));
const open = (body: unknown) => signupWith({ SIGNUP: 'open' }, body);
const good = { email: 'grace@example.com', password: 'lighthouse-ferry-42', orgName: 'Hopper Labs' };

async function usersWith(email: string) {
  return (await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE email = ?').bind(email).first<{ n: number }>())!
    .n;
}

describe('POST /v1/auth/signup', () => {
  it('is refused while SIGNUP is closed (the default) and creates nothing', async () => {
    const res = await SELF.fetch(`${ORIGIN}/v1/auth/signup`, json({ ...good, email: 'closed@example.com' }));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'signup_closed' } });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await usersWith('closed@example.com')).toBe(0);
  });

  it('is refused with signup_invite_only while SIGNUP is invite', async () => {
    const res = await signupWith({ SIGNUP: 'invite' }, { ...good, email: 'invite@example.com' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'signup_invite_only' } });
    expect(await usersWith('invite@example.com')).toBe(0);
  });

  it('creates the user and an organisation they own, signs them in, and writes one audit row', async () => {
    const res = await open({ ...good, email: '  Grace@Example.COM ', name: 'Grace' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      user: { id: string; email: string; name: string };
      orgId: string;
      role: string;
    };
    expect(body).toMatchObject({ user: { email: 'grace@example.com', name: 'Grace' }, role: 'owner' });

    const me = await SELF.fetch(`${ORIGIN}/v1/auth/me`, { headers: { cookie: cookieOf(res) } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      user: body.user,
      orgId: body.orgId,
      orgName: 'Hopper Labs',
      role: 'owner',
      via: 'session',
      orgs: [{ id: body.orgId, name: 'Hopper Labs', role: 'owner' }],
    });

    const rows = await auditRows(body.orgId, 'signup');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_type: 'user',
      actor_id: body.user.id,
      actor_role: 'owner',
      target_type: 'organisation',
      target_id: body.orgId,
      outcome: 'success',
    });
    expect(String(rows[0]!.changes)).not.toContain(good.password);
    const stored = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(body.user.id)
      .first<{ password_hash: string }>();
    expect(stored!.password_hash).toMatch(/^pbkdf2\$/);
  });

  it('refuses a taken email whatever its case, with 409 email_taken', async () => {
    const org = await seedOrg();
    await seedUser(org.orgId, 'taken@example.com', 'whatever-password');
    const res = await open({ ...good, email: 'Taken@Example.com' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'email_taken', field: 'email' } });
    expect(await usersWith('taken@example.com')).toBe(1);
  });

  it.each([
    ['too short', 'short-pw'],
    ['one of the most common', 'Password123'],
    ['one character repeated', 'zzzzzzzzzzzz'],
    ['the email itself', 'weak@example.com'],
  ])('refuses a password that is %s with 400 weak_password naming password', async (_why, password) => {
    const res = await open({ ...good, email: 'weak@example.com', password });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'weak_password', field: 'password' } });
    expect(await usersWith('weak@example.com')).toBe(0);
  });

  it('validates the body, naming the field', async () => {
    const res = await open({ ...good, orgName: '   ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field: 'orgName' } });
  });
});

describe('password policy', () => {
  it('accepts a long uncommon password and names the problem of a weak one', () => {
    expect(passwordProblem('lighthouse-ferry-42', 'a@example.com')).toBeNull();
    expect(passwordProblem('QWERTYUIOP')).toMatch(/common/);
    expect(passwordProblem('ada.lovelace', 'ada.lovelace@example.com')).toMatch(/email/);
  });
});
