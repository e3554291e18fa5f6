import { env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { api, login, seedOrg, seedUser, type TestOrg } from './helpers.ts';

const ORIGIN = 'http://test';
const PASSWORD = 'correct horse';
const NEW_PASSWORD = 'a long passphrase of mine';

interface Person {
  userId: string;
  email: string;
  cookie: string;
}

async function person(orgId: string, role: string, email = `${role}-${crypto.randomUUID()}@example.com`) {
  const userId = await seedUser(orgId, email, PASSWORD, role);
  const res = await login({ email, password: PASSWORD });
  expect(res.status).toBe(200);
  return { userId, email, cookie: cookieOf(res) } satisfies Person;
}

const cookieOf = (res: Response) => /ew_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? '';

/** A request from the platform's own pages; signed in when `who` is given. */
function send(who: Person | null, path: string, method = 'GET', body?: unknown) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    headers: {
      origin: ORIGIN,
      ...(who ? { cookie: who.cookie } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

interface Created {
  id: string;
  email: string;
  role: string;
  expiresAt: number;
  url: string;
}

async function invite(who: Person, email: string, role: string): Promise<Created & { token: string }> {
  const res = await send(who, '/v1/invitations', 'POST', { email, role });
  expect(res.status).toBe(201);
  const created = (await res.json()) as Created;
  return { ...created, token: created.url.split('/#/invite/')[1]! };
}

const accept = (token: string, body: unknown) => send(null, `/v1/invitations/${token}/accept`, 'POST', body);

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
}

async function statusOf(who: Person, id: string): Promise<string | undefined> {
  const res = await send(who, '/v1/invitations');
  const { invitations } = (await res.json()) as { invitations: { id: string; status: string }[] };
  return invitations.find((i) => i.id === id)?.status;
}

async function roleIn(orgId: string, email: string): Promise<string | null> {
  const row = await env.DB.prepare(
    'SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? AND u.email = ?',
  )
    .bind(orgId, email)
    .first<{ role: string }>();
  return row?.role ?? null;
}

let org: TestOrg;
let owner: Person;
let admin: Person;

beforeEach(async () => {
  org = await seedOrg();
  owner = await person(org.orgId, 'owner');
  admin = await person(org.orgId, 'admin');
});

describe('POST /v1/invitations', () => {
  it('returns a one-time link on the request origin, stores only its SHA-256, and emits an event without it', async () => {
    const inv = await invite(admin, '  Linus@Example.COM ', 'viewer');
    expect(inv).toMatchObject({ email: 'linus@example.com', role: 'viewer' });
    expect(inv.url).toMatch(/^http:\/\/test\/#\/invite\/ewi_[A-Za-z0-9_-]{40,}$/);
    const days = (inv.expiresAt - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    const row = await env.DB.prepare('SELECT * FROM invitations WHERE id = ?').bind(inv.id).first();
    expect(row!.token_hash).toBe(await sha256Hex(inv.token));
    expect(JSON.stringify(row)).not.toContain(inv.token);
    const event = await env.DB.prepare("SELECT data FROM events WHERE org_id = ? AND type = 'invitation.created'")
      .bind(org.orgId)
      .first<{ data: string }>();
    expect(JSON.parse(event!.data)).toEqual({ invitationId: inv.id, email: 'linus@example.com', role: 'viewer' });
    const audit = await env.DB.prepare("SELECT * FROM audit_log WHERE org_id = ? AND action = 'createInvitation'")
      .bind(org.orgId)
      .all();
    expect(audit.results).toHaveLength(1);
    expect(JSON.stringify(audit.results)).not.toContain(inv.token);
  });

  it("refuses a role above the inviter's (403 forbidden) and stores nothing; an owner may invite an owner", async () => {
    await expectError(
      await send(admin, '/v1/invitations', 'POST', { email: 'x@example.com', role: 'owner' }),
      403,
      'forbidden',
    );
    const member = await person(org.orgId, 'member');
    await expectError(
      await send(member, '/v1/invitations', 'POST', { email: 'y@example.com', role: 'viewer' }),
      403,
      'forbidden',
    );
    const { n } = (await env.DB.prepare('SELECT count(*) AS n FROM invitations WHERE org_id = ?')
      .bind(org.orgId)
      .first<{ n: number }>())!;
    expect(n).toBe(0);
    expect((await invite(owner, 'co-owner@example.com', 'owner')).role).toBe('owner');
  });

  it('lets an admin API key invite up to admin, never an owner', async () => {
    const byKey = (role: string) =>
      api(org.apiKey, '/v1/invitations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${role}-by-key@example.com`, role }),
      });
    expect((await byKey('admin')).status).toBe(201);
    await expectError(await byKey('owner'), 403, 'forbidden');
  });

  it('refuses inviting someone who is already a member (409 already_member)', async () => {
    await expectError(
      await send(admin, '/v1/invitations', 'POST', { email: owner.email, role: 'viewer' }),
      409,
      'already_member',
    );
  });
});

describe('accepting an invitation', () => {
  it('shows what the link offers, then creates the user, the membership and a signed-in session', async () => {
    const inv = await invite(admin, 'new-user@example.com', 'member');
    const shown = await send(null, `/v1/invitations/${inv.token}`);
    expect(shown.status).toBe(200);
    expect(await shown.json()).toEqual({
      orgName: `Org ${org.orgId}`,
      email: 'new-user@example.com',
      role: 'member',
      expiresAt: inv.expiresAt,
      existingUser: false,
    });
    await expectError(await accept(inv.token, { password: 'short' }), 400, 'weak_password');
    const res = await accept(inv.token, { password: NEW_PASSWORD, name: 'Newton' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { id: string; name: string }; orgId: string; role: string };
    expect(body).toMatchObject({
      orgId: org.orgId,
      role: 'member',
      user: { email: 'new-user@example.com', name: 'Newton' },
    });
    const newcomer = { userId: body.user.id, email: 'new-user@example.com', cookie: cookieOf(res) };
    const members = await send(newcomer, '/v1/members');
    expect(members.status).toBe(200);
    expect(await roleIn(org.orgId, 'new-user@example.com')).toBe('member');
    expect(await statusOf(admin, inv.id)).toBe('accepted');
    // The new user signs in with the password they chose.
    expect((await login({ email: 'new-user@example.com', password: NEW_PASSWORD })).status).toBe(200);
  });

  it('works once: a second acceptance and a second look are 404 invitation_not_found', async () => {
    const inv = await invite(admin, 'once@example.com', 'viewer');
    expect((await accept(inv.token, { password: NEW_PASSWORD })).status).toBe(200);
    await expectError(await accept(inv.token, { password: NEW_PASSWORD }), 404, 'invitation_not_found');
    await expectError(await send(null, `/v1/invitations/${inv.token}`), 404, 'invitation_not_found');
  });

  it('adds an existing user (of another org) with their current password, signed in to the inviting org', async () => {
    const elsewhere = await seedOrg();
    const existing = await person(elsewhere.orgId, 'owner');
    const inv = await invite(admin, existing.email.toUpperCase(), 'viewer');
    const shown = (await (await send(null, `/v1/invitations/${inv.token}`)).json()) as { existingUser: boolean };
    expect(shown.existingUser).toBe(true);
    await expectError(await accept(inv.token, { password: NEW_PASSWORD }), 401, 'invalid_credentials');
    expect(await roleIn(org.orgId, existing.email)).toBeNull();
    const res = await accept(inv.token, { password: PASSWORD });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { id: existing.userId }, orgId: org.orgId, role: 'viewer' });
    expect(await roleIn(org.orgId, existing.email)).toBe('viewer');
    expect(await roleIn(elsewhere.orgId, existing.email)).toBe('owner');
    const me = await send({ ...existing, cookie: cookieOf(res) }, '/v1/auth/me');
    expect(((await me.json()) as { orgId: string }).orgId).toBe(org.orgId);
  });

  it('refuses an existing user who became a member meanwhile (409 already_member)', async () => {
    const elsewhere = await seedOrg();
    const existing = await person(elsewhere.orgId, 'viewer');
    const inv = await invite(admin, existing.email, 'member');
    await env.DB.prepare("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, 'viewer', ?)")
      .bind(org.orgId, existing.userId, Date.now())
      .run();
    await expectError(await accept(inv.token, { password: PASSWORD }), 409, 'already_member');
    expect(await roleIn(org.orgId, existing.email)).toBe('viewer');
  });

  it('refuses an expired invitation with the same 404, and lists it as expired', async () => {
    const inv = await invite(admin, 'late@example.com', 'viewer');
    await env.DB.prepare('UPDATE invitations SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, inv.id)
      .run();
    await expectError(await send(null, `/v1/invitations/${inv.token}`), 404, 'invitation_not_found');
    await expectError(await accept(inv.token, { password: NEW_PASSWORD }), 404, 'invitation_not_found');
    expect(await statusOf(admin, inv.id)).toBe('expired');
    expect(await roleIn(org.orgId, 'late@example.com')).toBeNull();
  });

  it('answers an unknown or malformed token with the same 404', async () => {
    await expectError(
      await send(null, '/v1/invitations/ewi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
      404,
      'invitation_not_found',
    );
    await expectError(await accept('nonsense', { password: NEW_PASSWORD }), 404, 'invitation_not_found');
  });
});

describe('DELETE /v1/invitations/:id', () => {
  it('revokes: the link stops working, the list says revoked, and revoking again is 404', async () => {
    const inv = await invite(admin, 'revoked@example.com', 'viewer');
    expect((await send(admin, `/v1/invitations/${inv.id}`, 'DELETE')).status).toBe(204);
    await expectError(await send(null, `/v1/invitations/${inv.token}`), 404, 'invitation_not_found');
    await expectError(await accept(inv.token, { password: NEW_PASSWORD }), 404, 'invitation_not_found');
    expect(await statusOf(admin, inv.id)).toBe('revoked');
    await expectError(await send(admin, `/v1/invitations/${inv.id}`, 'DELETE'), 404, 'not_found');
  });

  it("refuses an admin revoking an owner's invitation (403): withdrawing a role needs that role", async () => {
    const inv = await invite(owner, 'future-owner@example.com', 'owner');
    await expectError(await send(admin, `/v1/invitations/${inv.id}`, 'DELETE'), 403, 'forbidden');
    expect(await statusOf(owner, inv.id)).toBe('pending');
    expect((await send(owner, `/v1/invitations/${inv.id}`, 'DELETE')).status).toBe(204);
  });

  it("answers 404 for another organisation's invitation and leaves it working", async () => {
    const elsewhere = await seedOrg();
    const otherAdmin = await person(elsewhere.orgId, 'admin');
    const theirs = await invite(otherAdmin, 'theirs@example.com', 'viewer');
    await expectError(await send(admin, `/v1/invitations/${theirs.id}`, 'DELETE'), 404, 'not_found');
    expect(await statusOf(otherAdmin, theirs.id)).toBe('pending');
    expect(await statusOf(admin, theirs.id)).toBeUndefined();
  });
});
