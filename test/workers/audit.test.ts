import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { api, batch, enroll, ingest, login, seedOrg, seedUser, type TestOrg } from './helpers.ts';

interface AuditRow {
  id: string;
  org_id: string;
  ts: number;
  actor_type: string;
  actor_id: string;
  actor_role: string | null;
  actor_scopes: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: string;
  client_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: string | null;
}

let org: TestOrg;
let adminId: string;
let cookie: string;
let keyId: string;

/** Signs a seeded user in and returns the session cookie header value. */
async function signIn(email: string, password: string): Promise<string> {
  const res = await login({ email, password });
  expect(res.status).toBe(200);
  return /ew_session=[^;]+/.exec(res.headers.get('set-cookie')!)![0];
}

/** A request as a signed-in user of the dashboard (cookie, same origin). */
function asUser(userCookie: string, path: string, init: RequestInit = {}) {
  return SELF.fetch(`http://test${path}`, {
    ...init,
    headers: {
      cookie: userCookie,
      origin: 'http://test',
      'user-agent': 'audit-test/1.0',
      'cf-connecting-ip': '203.0.113.9',
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The audit rows written for one request, found by its X-Request-Id. */
async function rowsOf(res: Response): Promise<AuditRow[]> {
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  const { results } = await env.DB.prepare('SELECT * FROM audit_log WHERE request_id = ?')
    .bind(requestId)
    .all<AuditRow>();
  return results;
}

beforeAll(async () => {
  org = await seedOrg();
  adminId = await seedUser(org.orgId, 'audit-admin@example.com', 'correct horse battery', 'admin');
  cookie = await signIn('audit-admin@example.com', 'correct horse battery');
  const key = await env.DB.prepare('SELECT id FROM api_keys WHERE key_hash = ?')
    .bind(await sha256Hex(org.apiKey))
    .first<{ id: string }>();
  keyId = key!.id;
});

async function newDevice(name: string): Promise<string> {
  const { deviceId, deviceToken } = await enroll(org, name);
  const res = await ingest(deviceToken, batch(newId('b'), [{ metric: 'temp_c', ts: Date.now() - 60_000, value: 21 }]));
  expect(res.status).toBe(200);
  return deviceId;
}

describe('audit rows of the write routes', () => {
  type Case = {
    name: string;
    via: 'user' | 'key';
    action: string;
    targetType: string;
    /** Runs the request; returns it and the expected target id. */
    run: (
      send: (path: string, init?: RequestInit) => Promise<Response>,
    ) => Promise<{ res: Response; targetId: string }>;
    status: number;
    changes?: (c: { before?: Record<string, unknown>; after?: Record<string, unknown> } | null) => void;
  };

  const cases: Case[] = [
    {
      name: 'renaming a device',
      via: 'user',
      action: 'updateDevice',
      targetType: 'device',
      status: 200,
      run: async (send) => {
        const id = await newDevice('before-name');
        return { res: await send(`/v1/devices/${id}`, json('PATCH', { name: 'after-name' })), targetId: id };
      },
      changes: (c) => expect(c).toEqual({ before: { name: 'before-name' }, after: { name: 'after-name' } }),
    },
    {
      name: 'revoking a device',
      via: 'key',
      action: 'revokeDevice',
      targetType: 'device',
      status: 200,
      run: async (send) => {
        const id = await newDevice('to-revoke');
        return { res: await send(`/v1/devices/${id}/revoke`, { method: 'POST' }), targetId: id };
      },
      changes: (c) => expect(c?.before).toEqual({ revokedAt: null }),
    },
    {
      name: 'deleting a device',
      via: 'user',
      action: 'deleteDevice',
      targetType: 'device',
      status: 204,
      run: async (send) => {
        const id = await newDevice('to-delete');
        return { res: await send(`/v1/devices/${id}`, { method: 'DELETE' }), targetId: id };
      },
      changes: (c) => expect(c?.before).toMatchObject({ name: 'to-delete' }),
    },
    {
      name: "deleting a device's data",
      via: 'key',
      action: 'deleteDeviceData',
      targetType: 'device',
      status: 200,
      run: async (send) => {
        const id = await newDevice('data-delete');
        return { res: await send(`/v1/devices/${id}/data`, { method: 'DELETE' }), targetId: id };
      },
      changes: (c) => expect(c?.before).toEqual({ samples: 1 }),
    },
    {
      name: 'deleting a series',
      via: 'user',
      action: 'deleteSeries',
      targetType: 'series',
      status: 200,
      run: async (send) => {
        const deviceId = await newDevice('series-delete');
        const s = await env.DB.prepare('SELECT id FROM series WHERE device_id = ?')
          .bind(deviceId)
          .first<{ id: string }>();
        return { res: await send(`/v1/series/${s!.id}`, { method: 'DELETE' }), targetId: s!.id };
      },
    },
    {
      name: "setting the org's agent config",
      via: 'user',
      action: 'putOrgAgentConfig',
      targetType: 'organisation',
      status: 200,
      run: async (send) => ({
        res: await send('/v1/agent-config', json('PUT', { intervals: { probes: 15 } })),
        targetId: org.orgId,
      }),
      changes: (c) => expect(c?.after).toEqual({ intervals: { probes: 15 } }),
    },
    {
      name: "setting a device's agent config",
      via: 'key',
      action: 'putDeviceAgentConfig',
      targetType: 'device',
      status: 200,
      run: async (send) => {
        const id = await newDevice('config');
        return {
          res: await send(`/v1/devices/${id}/agent-config`, json('PUT', { intervals: { probes: 30 } })),
          targetId: id,
        };
      },
      changes: (c) => expect(c).toEqual({ before: {}, after: { intervals: { probes: 30 } } }),
    },
    {
      name: 'recording a custom event',
      via: 'user',
      action: 'createEvent',
      targetType: 'event',
      status: 201,
      run: async (send) => {
        const res = await send('/v1/events', json('POST', { type: 'custom.deploy', data: { version: '1' } }));
        return { res, targetId: ((await res.clone().json()) as { id: string }).id };
      },
      changes: (c) => expect(c?.after).toMatchObject({ type: 'custom.deploy' }),
    },
  ];

  it.each(cases)('$name writes exactly one row naming the actor and the target', async (tc) => {
    const send = (path: string, init?: RequestInit) =>
      tc.via === 'user' ? asUser(cookie, path, init) : api(org.apiKey, path, init);
    const { res, targetId } = await tc.run(send);
    expect(res.status, await res.clone().text()).toBe(tc.status);
    const rows = await rowsOf(res);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      org_id: org.orgId,
      action: tc.action,
      target_type: tc.targetType,
      target_id: targetId,
      outcome: 'success',
    });
    if (tc.via === 'user') {
      expect(row).toMatchObject({ actor_type: 'user', actor_id: adminId, actor_role: 'admin', actor_scopes: null });
      expect(row).toMatchObject({ client_address: '203.0.113.9', user_agent: 'audit-test/1.0' });
    } else {
      expect(row).toMatchObject({ actor_type: 'api_key', actor_id: keyId, actor_role: null });
      expect(JSON.parse(row.actor_scopes!)).toEqual(['read', 'write', 'admin']);
    }
    tc.changes?.(row.changes === null ? null : JSON.parse(row.changes));
  });

  it('records API key creation and revocation without the key, its hash or its prefix', async () => {
    const created = await asUser(cookie, '/v1/api-keys', json('POST', { name: 'ci', scopes: ['read'] }));
    expect(created.status).toBe(201);
    const key = (await created.clone().json()) as { id: string; key: string; prefix: string };
    const revoked = await asUser(cookie, `/v1/api-keys/${key.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const rows = [...(await rowsOf(created)), ...(await rowsOf(revoked))];
    expect(rows.map((r) => [r.action, r.target_type, r.target_id])).toEqual([
      ['createApiKey', 'api_key', key.id],
      ['revokeApiKey', 'api_key', key.id],
    ]);
    expect(JSON.parse(rows[0]!.changes!)).toEqual({ after: { name: 'ci', scopes: ['read'] } });
    expect(JSON.parse(rows[1]!.changes!)).toEqual({
      before: { name: 'ci', revokedAt: null },
      after: { revokedAt: expect.any(Number) },
    });
    expect(rows[1]).toMatchObject({ actor_type: 'user', actor_id: adminId, actor_role: 'admin', actor_scopes: null });
    const text = JSON.stringify(rows);
    for (const secret of [key.key, key.prefix, await sha256Hex(key.key)]) expect(text).not.toContain(secret);
  });

  it('records enrollment token creation and revocation without the token or its hash', async () => {
    const created = await api(org.apiKey, '/v1/enrollment-tokens', json('POST', { maxUses: 3 }));
    expect(created.status).toBe(201);
    const token = (await created.clone().json()) as { id: string; token: string };
    const revoked = await api(org.apiKey, `/v1/enrollment-tokens/${token.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const rows = [...(await rowsOf(created)), ...(await rowsOf(revoked))];
    expect(rows.map((r) => [r.action, r.target_type, r.target_id, r.actor_type])).toEqual([
      ['createEnrollmentToken', 'enrollment_token', token.id, 'api_key'],
      ['revokeEnrollmentToken', 'enrollment_token', token.id, 'api_key'],
    ]);
    expect(JSON.parse(rows[1]!.actor_scopes!)).toEqual(['read', 'write', 'admin']);
    const text = JSON.stringify(rows);
    for (const secret of [token.token, await sha256Hex(token.token)]) expect(text).not.toContain(secret);
  });

  it('two concurrent revokes of one key write one row between them', async () => {
    const created = await api(org.apiKey, '/v1/api-keys', json('POST', { name: 'twice', scopes: ['read'] }));
    const { id } = (await created.json()) as { id: string };
    const both = await Promise.all([1, 2].map(() => api(org.apiKey, `/v1/api-keys/${id}`, { method: 'DELETE' })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 404]);
    const { results } = await env.DB.prepare("SELECT id FROM audit_log WHERE action = 'revokeApiKey' AND target_id = ?")
      .bind(id)
      .all();
    expect(results).toHaveLength(1);
  });

  it('writes no row when the write fails (a missing key is a 404)', async () => {
    const res = await api(org.apiKey, '/v1/api-keys/key_missing', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await rowsOf(res)).toHaveLength(0);
  });
});

describe('refused requests', () => {
  it('a write refused for want of a role writes one denied row with no changes', async () => {
    const viewerId = await seedUser(org.orgId, 'audit-viewer@example.com', 'correct horse battery', 'viewer');
    const viewer = await signIn('audit-viewer@example.com', 'correct horse battery');
    const deviceId = await newDevice('viewer-target');
    const res = await asUser(viewer, `/v1/devices/${deviceId}`, { method: 'DELETE' });
    expect(res.status).toBe(403);
    const rows = await rowsOf(res);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      org_id: org.orgId,
      actor_type: 'user',
      actor_id: viewerId,
      actor_role: 'viewer',
      action: 'deleteDevice',
      target_type: '/v1/devices/:id',
      target_id: deviceId,
      outcome: 'denied',
      changes: null,
    });
    expect((await asUser(viewer, `/v1/devices/${deviceId}`)).status).toBe(200);
  });

  it('a write refused for want of a scope records the key and its scopes', async () => {
    const readOnly = await seedOrg(['read']);
    const res = await api(readOnly.apiKey, '/v1/events', json('POST', { type: 'custom.x' }));
    expect(res.status).toBe(403);
    const [row, ...more] = await rowsOf(res);
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({
      org_id: readOnly.orgId,
      actor_type: 'api_key',
      action: 'createEvent',
      outcome: 'denied',
    });
    expect(JSON.parse(row!.actor_scopes!)).toEqual(['read']);
  });

  it('a refused read writes nothing', async () => {
    const writeOnly = await seedOrg(['write']);
    const res = await api(writeOnly.apiKey, '/v1/audit');
    expect(res.status).toBe(403);
    expect(await rowsOf(res)).toHaveLength(0);
  });
});
