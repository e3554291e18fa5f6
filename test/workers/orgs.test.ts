import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { purgeOrg } from '../../workers/src/services/accounts/org-deletion.ts';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { asSession, auditRows, signIn } from './account-helpers.ts';
import { api, batch, enroll, ingest, seedOrg, seedUser, type TestOrg } from './helpers.ts';

const PASSWORD = 'lighthouse-ferry-42';

async function orgWith(role: string, email: string) {
  const org = await seedOrg();
  const userId = await seedUser(org.orgId, email, PASSWORD, role);
  return { org, userId, cookie: await signIn(email, PASSWORD) };
}

async function orgName(orgId: string) {
  return (await env.DB.prepare('SELECT name FROM organisations WHERE id = ?').bind(orgId).first<{ name: string }>())
    ?.name;
}

/** A device of `org` holding raw samples in its DeviceHub. */
async function deviceWithData(org: TestOrg, name: string) {
  const dev = await enroll(org, name);
  const ts = Date.now() - 60_000;
  const res = await ingest(dev.deviceToken, batch(`${name}-1`, [{ metric: 'cpu_usage_percent', ts, value: 1 }]));
  expect(res.status).toBe(200);
  expect((await deviceHubFor(env, dev.deviceId).stats()).samples).toBe(1);
  return dev;
}

describe('GET /v1/auth/me and POST /v1/auth/switch-org', () => {
  it("lists the user's organisations and moves the session to another one they belong to", async () => {
    const { org, userId, cookie } = await orgWith('admin', 'multi@example.com');
    const second = await seedOrg();
    await env.DB.prepare('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)')
      .bind(second.orgId, userId, 'viewer', Date.now() + 1)
      .run();
    const before = (await (await asSession(cookie, '/v1/auth/me')).json()) as Record<string, unknown>;
    expect(before).toMatchObject({
      orgId: org.orgId,
      role: 'admin',
      user: { id: userId, email: 'multi@example.com' },
      orgs: [
        { id: org.orgId, role: 'admin' },
        { id: second.orgId, role: 'viewer' },
      ],
    });

    const res = await asSession(cookie, '/v1/auth/switch-org', { method: 'POST', body: { orgId: second.orgId } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ orgId: second.orgId, role: 'viewer' });
    expect(await (await asSession(cookie, '/v1/auth/me')).json()).toMatchObject({
      orgId: second.orgId,
      role: 'viewer',
      scopes: ['read'],
    });
  });

  it('refuses an organisation the user is not a member of, and an API key', async () => {
    const { org, cookie } = await orgWith('owner', 'single@example.com');
    const stranger = await seedOrg();
    const res = await asSession(cookie, '/v1/auth/switch-org', { method: 'POST', body: { orgId: stranger.orgId } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'not_a_member' } });
    expect(await (await asSession(cookie, '/v1/auth/me')).json()).toMatchObject({ orgId: org.orgId });

    const byKey = await api(org.apiKey, '/v1/auth/switch-org', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orgId: org.orgId }),
    });
    expect(byKey.status).toBe(403);
  });

  it('answers an API key with no user, no role and no organisations list', async () => {
    const org = await seedOrg();
    expect(await (await api(org.apiKey, '/v1/auth/me')).json()).toMatchObject({
      user: null,
      role: null,
      via: 'api-key',
      orgs: [],
    });
  });
});

describe('PATCH /v1/org', () => {
  it('renames the organisation and records the old and new name', async () => {
    const { org, cookie } = await orgWith('admin', 'rename@example.com');
    const old = await orgName(org.orgId);
    const res = await asSession(cookie, '/v1/org', { method: 'PATCH', body: { name: 'Acme Industries' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: org.orgId, name: 'Acme Industries' });
    expect(await orgName(org.orgId)).toBe('Acme Industries');
    const rows = await auditRows(org.orgId, 'updateOrg');
    expect(rows).toHaveLength(1);
    expect(JSON.parse(String(rows[0]!.changes))).toEqual({ before: { name: old }, after: { name: 'Acme Industries' } });
  });

  it('is refused to a member with 403 naming the admin role, changing nothing', async () => {
    const { org, cookie } = await orgWith('member', 'member-rename@example.com');
    const res = await asSession(cookie, '/v1/org', { method: 'PATCH', body: { name: 'Nope' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { code: 'forbidden', message: expect.stringContaining('"admin"') },
    });
    expect(await orgName(org.orgId)).not.toBe('Nope');
    // A refused write is recorded, as refused, and nothing else (docs/security.md).
    const rows = await auditRows(org.orgId, 'updateOrg');
    expect(rows.map((r) => r.outcome)).toEqual(['denied']);
  });
});

describe('PATCH /v1/org/settings', () => {
  it('records the retention before and after in one audit row', async () => {
    const org = await seedOrg();
    const res = await api(org.apiKey, '/v1/org/settings', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retention: { rawDays: 14 } }),
    });
    expect(res.status).toBe(200);
    const rows = await auditRows(org.orgId, 'updateOrgSettings');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_type: 'api_key', target_type: 'organisation', target_id: org.orgId });
    const changes = JSON.parse(String(rows[0]!.changes)) as { before: { retention: { rawDays: number } } };
    expect(changes.before.retention.rawDays).toBe(30);
  });
});

describe('DELETE /v1/org', () => {
  it('is for owners only, and needs the exact name as confirmation', async () => {
    const admin = await orgWith('admin', 'admin-delete@example.com');
    const refused = await asSession(admin.cookie, '/v1/org', { method: 'DELETE', body: { confirm: 'x' } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { message: expect.stringContaining('"owner"') } });

    const owner = await orgWith('owner', 'owner-mismatch@example.com');
    const name = (await orgName(owner.org.orgId))!;
    const res = await asSession(owner.cookie, '/v1/org', { method: 'DELETE', body: { confirm: name.toUpperCase() } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'confirmation_mismatch', field: 'confirm' } });
    expect((await asSession(owner.cookie, '/v1/auth/me')).status).toBe(200);
  });

  it("answers as gone at once, then removes its devices' raw data from their objects and its rows", async () => {
    const owner = await orgWith('owner', 'owner-delete@example.com');
    const { org } = owner;
    const devices = [await deviceWithData(org, 'a'), await deviceWithData(org, 'b')];
    const bystander = await seedOrg();
    const kept = await deviceWithData(bystander, 'kept');

    const res = await asSession(owner.cookie, '/v1/org', {
      method: 'DELETE',
      body: { confirm: await orgName(org.orgId) },
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: org.orgId, deletedAt: expect.any(Number) });
    expect((await asSession(owner.cookie, '/v1/auth/me')).status).toBe(401);
    expect((await api(org.apiKey, '/v1/devices')).status).toBe(401);
    expect(await signInStatus('owner-delete@example.com')).toBe(401);

    await runCron(env, Date.now());
    for (const dev of devices) expect((await deviceHubFor(env, dev.deviceId).stats()).samples).toBe(0);
    expect(await orgName(org.orgId)).toBeUndefined();
    const left = await env.DB.prepare(
      `SELECT (SELECT COUNT(*) FROM devices WHERE org_id = ?1) + (SELECT COUNT(*) FROM sessions WHERE org_id = ?1)
            + (SELECT COUNT(*) FROM api_keys WHERE org_id = ?1) + (SELECT COUNT(*) FROM users WHERE email = ?2) AS n`,
    )
      .bind(org.orgId, 'owner-delete@example.com')
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
    expect((await deviceHubFor(env, kept.deviceId).stats()).samples).toBe(1);
    expect((await api(bystander.apiKey, '/v1/devices')).status).toBe(200);
  });

  it('deletes a large organisation in bounded chunks of devices', async () => {
    const org = await seedOrg();
    const devices = [await deviceWithData(org, 'c1'), await deviceWithData(org, 'c2'), await deviceWithData(org, 'c3')];
    await env.DB.prepare('UPDATE organisations SET deleted_at = ? WHERE id = ?').bind(Date.now(), org.orgId).run();
    expect(await purgeOrg(env, org.orgId, 2)).toEqual({ devices: 2, done: false });
    const remaining = await env.DB.prepare('SELECT id FROM devices WHERE org_id = ?')
      .bind(org.orgId)
      .all<{ id: string }>();
    expect(remaining.results).toHaveLength(1);
    expect(await orgName(org.orgId)).toBeDefined();
    expect(await purgeOrg(env, org.orgId, 2)).toEqual({ devices: 1, done: true });
    for (const dev of devices) expect((await deviceHubFor(env, dev.deviceId).stats()).samples).toBe(0);
    expect(await orgName(org.orgId)).toBeUndefined();
  });
});

async function signInStatus(email: string) {
  const res = await SELF.fetch('http://test/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  return res.status;
}
