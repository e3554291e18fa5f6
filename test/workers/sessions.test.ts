import { env, SELF } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { asSession, auditRows, ORIGIN, signIn } from './account-helpers.ts';
import { api, login, seedOrg, seedUser } from './helpers.ts';

const PASSWORD = 'lighthouse-ferry-42';
const me = (cookie: string) => SELF.fetch(`${ORIGIN}/v1/auth/me`, { headers: { cookie } });

async function userWithTwoSessions(email: string) {
  const org = await seedOrg();
  const userId = await seedUser(org.orgId, email, PASSWORD, 'member');
  const laptop = await signIn(email, PASSWORD, { 'user-agent': 'Laptop/1.0', 'cf-connecting-ip': '203.0.113.7' });
  const phone = await signIn(email, PASSWORD, { 'user-agent': 'Phone/2.0', 'cf-connecting-ip': '198.51.100.9' });
  return { org, userId, laptop, phone };
}

interface SessionView {
  id: string;
  current: boolean;
  userAgent: string | null;
  clientAddress: string | null;
  lastUsedAt: number;
  expiresAt: number;
}
async function listSessions(cookie: string): Promise<SessionView[]> {
  const res = await asSession(cookie, '/v1/auth/sessions');
  expect(res.status).toBe(200);
  return ((await res.json()) as { sessions: SessionView[] }).sessions;
}

describe('GET /v1/auth/sessions', () => {
  it("lists the user's sessions with what signed in, marking the current one", async () => {
    const { laptop } = await userWithTwoSessions('list@example.com');
    const sessions = await listSessions(laptop);
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.current)).toMatchObject({ userAgent: 'Laptop/1.0', clientAddress: '203.0.113.7' });
    expect(sessions.find((s) => !s.current)).toMatchObject({ userAgent: 'Phone/2.0', clientAddress: '198.51.100.9' });
  });

  it('is refused to an API key, which has no sessions', async () => {
    const org = await seedOrg();
    const res = await api(org.apiKey, '/v1/auth/sessions');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('DELETE /v1/auth/sessions/:id', () => {
  it('ends another of your sessions, which then gets 401, and records it in the audit log', async () => {
    const { org, laptop, phone } = await userWithTwoSessions('end-one@example.com');
    const other = (await listSessions(laptop)).find((s) => !s.current)!;
    const res = await asSession(laptop, `/v1/auth/sessions/${other.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect((await me(phone)).status).toBe(401);
    expect((await me(laptop)).status).toBe(200);
    const rows = await auditRows(org.orgId, 'deleteSession');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target_type: 'session', target_id: other.id, actor_type: 'user' });
  });

  it("answers 404 for someone else's session, ends nothing and writes no audit row", async () => {
    const a = await userWithTwoSessions('owner-a@example.com');
    const b = await userWithTwoSessions('owner-b@example.com');
    const bSession = (await listSessions(b.laptop))[0]!;
    const res = await asSession(a.laptop, `/v1/auth/sessions/${bSession.id}`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect((await me(b.laptop)).status).toBe(200);
    expect(await auditRows(a.org.orgId, 'deleteSession')).toHaveLength(0);
  });
});

describe('DELETE /v1/auth/sessions (sign out everywhere)', () => {
  it('ends every session of the user, this one included, and clears the cookie', async () => {
    const { org, laptop, phone } = await userWithTwoSessions('everywhere@example.com');
    const res = await asSession(laptop, '/v1/auth/sessions', { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/ew_session=;/);
    expect((await me(laptop)).status).toBe(401);
    expect((await me(phone)).status).toBe(401);
    expect(await auditRows(org.orgId, 'deleteAllSessions')).toHaveLength(1);
  });
});

describe('POST /v1/auth/password', () => {
  it('changes the password with the current one and ends the other sessions only', async () => {
    const { org, laptop, phone } = await userWithTwoSessions('change@example.com');
    const res = await asSession(laptop, '/v1/auth/password', {
      method: 'POST',
      body: { currentPassword: PASSWORD, newPassword: 'harbour-crane-at-dawn' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ endedSessions: 1 });
    expect((await me(laptop)).status).toBe(200);
    expect((await me(phone)).status).toBe(401);
    expect((await login({ email: 'change@example.com', password: PASSWORD })).status).toBe(401);
    expect((await login({ email: 'change@example.com', password: 'harbour-crane-at-dawn' })).status).toBe(200);
    const rows = await auditRows(org.orgId, 'changePassword');
    expect(rows).toHaveLength(1);
    expect(String(rows[0]!.changes)).not.toContain('harbour');
  });

  it('refuses a wrong current password and a weak new one, changing nothing', async () => {
    const { laptop, phone } = await userWithTwoSessions('refuse@example.com');
    const wrong = await asSession(laptop, '/v1/auth/password', {
      method: 'POST',
      body: { currentPassword: 'not-the-password', newPassword: 'harbour-crane-at-dawn' },
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 'wrong_password', field: 'currentPassword' } });
    const weak = await asSession(laptop, '/v1/auth/password', {
      method: 'POST',
      body: { currentPassword: PASSWORD, newPassword: 'password123' },
    });
    expect(weak.status).toBe(400);
    expect(await weak.json()).toMatchObject({ error: { code: 'weak_password', field: 'newPassword' } });
    expect((await me(phone)).status).toBe(200);
    expect((await login({ email: 'refuse@example.com', password: PASSWORD })).status).toBe(200);
  });
});

describe('session expiry', () => {
  const setSession = (cookieUserId: string, sql: string, value: number) =>
    env.DB.prepare(`UPDATE sessions SET ${sql} = ? WHERE user_id = ?`).bind(value, cookieUserId).run();

  it('ends a session idle for longer than SESSION_IDLE_MINUTES', async () => {
    const { userId, laptop } = await userWithTwoSessions('idle@example.com');
    const idleMinutes = Number(env.SESSION_IDLE_MINUTES);
    await setSession(userId, 'last_used_at', Date.now() - (idleMinutes + 1) * 60_000);
    const res = await me(laptop);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_session' } });
  });

  it('ends a session at its absolute expiry however active it is', async () => {
    const { userId, laptop } = await userWithTwoSessions('absolute@example.com');
    await setSession(userId, 'expires_at', Date.now() - 1);
    expect((await me(laptop)).status).toBe(401);
  });

  it('sets the absolute expiry SESSION_MAX_DAYS after sign-in, and the cookie with it', async () => {
    const org = await seedOrg();
    await seedUser(org.orgId, 'max@example.com', PASSWORD);
    const res = await login({ email: 'max@example.com', password: PASSWORD });
    const maxAge = Number(/Max-Age=(\d+)/i.exec(res.headers.get('set-cookie') ?? '')?.[1]);
    expect(Math.abs(maxAge - Number(env.SESSION_MAX_DAYS) * 86_400)).toBeLessThan(5);
  });

  it('records the last use at most once a minute, which keeps an active session alive', async () => {
    const { userId, laptop } = await userWithTwoSessions('touch@example.com');
    const twoMinutesAgo = Date.now() - 120_000;
    await setSession(userId, 'last_used_at', twoMinutesAgo);
    expect((await me(laptop)).status).toBe(200);
    const lastUsed = async () => (await listSessions(laptop)).find((s) => s.current)!.lastUsedAt;
    await vi.waitFor(async () => expect(await lastUsed()).toBeGreaterThan(twoMinutesAgo + 60_000), { timeout: 2000 });
    const recorded = await lastUsed();
    // Within the minute, further requests write nothing.
    expect((await me(laptop)).status).toBe(200);
    expect(await lastUsed()).toBe(recorded);
  });
});
