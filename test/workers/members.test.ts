import { env, SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { db, schema } from '../../workers/src/db.ts';
import { failedGuard } from '../../workers/src/services/members/guard.ts';
import { ownerGuard } from '../../workers/src/services/members/roles.ts';
import { api, login, seedOrg, seedUser, type TestOrg } from './helpers.ts';

const ORIGIN = 'http://test';
const PASSWORD = 'correct horse';

interface Person {
  userId: string;
  cookie: string;
}

/** A user of `orgId` with `role`, signed in through the real login route. */
async function person(orgId: string, role: string): Promise<Person> {
  const email = `${role}-${crypto.randomUUID()}@example.com`;
  const userId = await seedUser(orgId, email, PASSWORD, role);
  const res = await login({ email, password: PASSWORD });
  expect(res.status).toBe(200);
  return { userId, cookie: /ew_session=[^;]+/.exec(res.headers.get('set-cookie')!)![0] };
}

/** A request signed in by cookie from the platform's own pages (the CSRF rule). */
function as(who: Person, path: string, method = 'GET', body?: unknown) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    headers: { cookie: who.cookie, origin: ORIGIN, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

const setRole = (who: Person, userId: string, role: string) => as(who, `/v1/members/${userId}`, 'PATCH', { role });

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
}

async function roleOf(orgId: string, userId: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT role FROM memberships WHERE org_id = ? AND user_id = ?')
    .bind(orgId, userId)
    .first<{ role: string }>();
  return row?.role ?? null;
}

async function auditRows(orgId: string, action: string) {
  const { results } = await env.DB.prepare('SELECT * FROM audit_log WHERE org_id = ? AND action = ?')
    .bind(orgId, action)
    .all<{ actor_id: string; target_type: string; target_id: string; changes: string; outcome: string }>();
  return results.map((r) => ({ ...r, changes: JSON.parse(r.changes ?? 'null') }));
}

let org: TestOrg;
let owner: Person;

beforeEach(async () => {
  org = await seedOrg();
  owner = await person(org.orgId, 'owner');
});

describe('GET /v1/members', () => {
  it('lists every member with email, name, role and when they joined, to a viewer too', async () => {
    const viewer = await person(org.orgId, 'viewer');
    const res = await as(viewer, '/v1/members');
    expect(res.status).toBe(200);
    const { members } = (await res.json()) as { members: { userId: string; role: string; email: string }[] };
    expect(members.map((m) => [m.userId, m.role])).toEqual([
      [owner.userId, 'owner'],
      [viewer.userId, 'viewer'],
    ]);
    expect(members[1]!.email).toMatch(/^viewer-.*@example\.com$/);
  });
});

describe('PATCH /v1/members/:userId', () => {
  it("lets an admin raise a viewer to member, recording the role's before and after in one audit row", async () => {
    const admin = await person(org.orgId, 'admin');
    const viewer = await person(org.orgId, 'viewer');
    const res = await setRole(admin, viewer.userId, 'member');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ userId: viewer.userId, role: 'member' });
    expect(await roleOf(org.orgId, viewer.userId)).toBe('member');
    const rows = await auditRows(org.orgId, 'updateMember');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: admin.userId, target_type: 'member', target_id: viewer.userId });
    expect(rows[0]!.changes).toEqual({ before: { role: 'viewer' }, after: { role: 'member' } });
  });

  it('refuses an admin making an owner or demoting one (403), and changes nothing', async () => {
    const admin = await person(org.orgId, 'admin');
    const member = await person(org.orgId, 'member');
    await expectError(await setRole(admin, member.userId, 'owner'), 403, 'forbidden');
    await expectError(await setRole(admin, owner.userId, 'admin'), 403, 'forbidden');
    expect(await roleOf(org.orgId, member.userId)).toBe('member');
    expect(await roleOf(org.orgId, owner.userId)).toBe('owner');
    expect(await auditRows(org.orgId, 'updateMember')).toHaveLength(0);
  });

  it('refuses an admin API key making an owner: no key holds the owner role', async () => {
    const member = await person(org.orgId, 'member');
    const res = await api(org.apiKey, `/v1/members/${member.userId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'owner' }),
    });
    await expectError(res, 403, 'forbidden');
  });

  it('refuses demoting the last owner (409 last_owner), but allows it once another owner exists', async () => {
    await expectError(await setRole(owner, owner.userId, 'admin'), 409, 'last_owner');
    expect(await roleOf(org.orgId, owner.userId)).toBe('owner');
    const other = await person(org.orgId, 'admin');
    expect((await setRole(owner, other.userId, 'owner')).status).toBe(200);
    expect((await setRole(owner, owner.userId, 'admin')).status).toBe(200);
    expect(await roleOf(org.orgId, owner.userId)).toBe('admin');
  });

  it("answers 404 for another organisation's user, and leaves them be", async () => {
    const elsewhere = await seedOrg();
    const stranger = await person(elsewhere.orgId, 'viewer');
    const admin = await person(org.orgId, 'admin');
    await expectError(await setRole(admin, stranger.userId, 'member'), 404, 'not_found');
    await expectError(await as(admin, `/v1/members/${stranger.userId}`, 'DELETE'), 404, 'not_found');
    await expectError(await as(owner, `/v1/members/${stranger.userId}/transfer-ownership`, 'POST'), 404, 'not_found');
    expect(await roleOf(elsewhere.orgId, stranger.userId)).toBe('viewer');
  });
});

describe('DELETE /v1/members/:userId', () => {
  it('removes a member: their sessions in the org end, so their cookie is refused with 401', async () => {
    const admin = await person(org.orgId, 'admin');
    const member = await person(org.orgId, 'member');
    expect((await as(member, '/v1/members')).status).toBe(200);
    expect((await as(admin, `/v1/members/${member.userId}`, 'DELETE')).status).toBe(204);
    expect(await roleOf(org.orgId, member.userId)).toBeNull();
    await expectError(await as(member, '/v1/members'), 401, 'invalid_session');
    const sessions = await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE org_id = ? AND user_id = ?')
      .bind(org.orgId, member.userId)
      .first<{ n: number }>();
    expect(sessions!.n).toBe(0);
    const rows = await auditRows(org.orgId, 'removeMember');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: admin.userId, target_id: member.userId });
    expect(rows[0]!.changes.before.role).toBe('member');
  });

  it('refuses a member removing someone else (403) and an admin removing an owner (403)', async () => {
    const admin = await person(org.orgId, 'admin');
    const member = await person(org.orgId, 'member');
    await expectError(await as(member, `/v1/members/${admin.userId}`, 'DELETE'), 403, 'forbidden');
    await expectError(await as(admin, `/v1/members/${owner.userId}`, 'DELETE'), 403, 'forbidden');
    expect(await roleOf(org.orgId, owner.userId)).toBe('owner');
  });

  it('refuses removing the last owner, by themselves too (409 last_owner)', async () => {
    await expectError(await as(owner, `/v1/members/${owner.userId}`, 'DELETE'), 409, 'last_owner');
    await expectError(await as(owner, '/v1/members/me', 'DELETE'), 409, 'last_owner');
    expect(await roleOf(org.orgId, owner.userId)).toBe('owner');
    expect((await as(owner, '/v1/members')).status).toBe(200);
  });
});

describe('DELETE /v1/members/me', () => {
  it('lets a viewer leave; their session no longer works in that org', async () => {
    const viewer = await person(org.orgId, 'viewer');
    expect((await as(viewer, '/v1/members/me', 'DELETE')).status).toBe(204);
    expect(await roleOf(org.orgId, viewer.userId)).toBeNull();
    await expectError(await as(viewer, '/v1/members'), 401, 'invalid_session');
    const rows = await auditRows(org.orgId, 'leaveOrganisation');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: viewer.userId, target_id: viewer.userId });
  });

  it('refuses an API key: a key is not a member', async () => {
    await expectError(await api(org.apiKey, '/v1/members/me', { method: 'DELETE' }), 403, 'forbidden');
  });
});

describe('POST /v1/members/:userId/transfer-ownership', () => {
  it('makes the member the owner and the caller an admin, in one audit row', async () => {
    const member = await person(org.orgId, 'member');
    const res = await as(owner, `/v1/members/${member.userId}/transfer-ownership`, 'POST');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      owner: { userId: member.userId, role: 'owner' },
      previousOwner: { userId: owner.userId, role: 'admin' },
    });
    expect(await roleOf(org.orgId, member.userId)).toBe('owner');
    expect(await roleOf(org.orgId, owner.userId)).toBe('admin');
    expect(await auditRows(org.orgId, 'transferOwnership')).toHaveLength(1);
    // The former owner is an admin now: owners' operations are refused.
    await expectError(await as(owner, `/v1/members/${member.userId}/transfer-ownership`, 'POST'), 403, 'forbidden');
  });

  it('is refused to an admin (403) and to an admin API key (403)', async () => {
    const admin = await person(org.orgId, 'admin');
    await expectError(await as(admin, `/v1/members/${admin.userId}/transfer-ownership`, 'POST'), 403, 'forbidden');
    await expectError(
      await api(org.apiKey, `/v1/members/${admin.userId}/transfer-ownership`, { method: 'POST' }),
      403,
      'forbidden',
    );
    expect(await roleOf(org.orgId, owner.userId)).toBe('owner');
  });
});

describe('the owner guard in a D1 batch', () => {
  it('rolls back a whole batch that would leave the organisation without an owner (a race the read cannot see)', async () => {
    const d = db(env.DB);
    const m = schema.memberships;
    const viewer = await person(org.orgId, 'viewer');
    const failure = await d
      .batch([
        d
          .update(m)
          .set({ role: 'admin' })
          .where(and(eq(m.orgId, org.orgId), eq(m.userId, owner.userId))),
        d
          .update(m)
          .set({ role: 'member' })
          .where(and(eq(m.orgId, org.orgId), eq(m.userId, viewer.userId))),
        ownerGuard(d, org.orgId),
      ])
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(failedGuard(failure)).toBe(true);
    expect(await roleOf(org.orgId, owner.userId)).toBe('owner');
    expect(await roleOf(org.orgId, viewer.userId)).toBe('viewer');
  });
});
