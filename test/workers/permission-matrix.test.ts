import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ApiKeyScope, Role } from '../../schema/index.ts';
import { holds, type Permission, PERMISSIONS, refusalMessage } from '../../workers/src/services/access/permissions.ts';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { newApiKey } from '../../workers/src/services/credentials/tokens.ts';
import { alertObjects } from './alert-fixtures.ts';
import { siteObjects } from './site-fixtures.ts';
import { enroll, seedOrg } from './helpers.ts';

/**
 * The permission matrix, generated from the OpenAPI document and the permission table: every
 * operation a caller may call, for every role (a session) and every single-scope API key, is
 * refused with the table's 403 exactly when the table says so, and with another
 * organisation's ids answers 404 to everyone the table lets through.
 */

interface Operation {
  operationId: string;
  security: Record<string, unknown>[];
  'x-permission'?: Permission;
  parameters?: { name: string; in: string; example?: unknown }[];
  requestBody?: { content: { 'application/json'?: { example?: unknown } } };
}
const document = (await (await SELF.fetch('http://test/v1/openapi.json')).json()) as {
  paths: Record<string, Record<string, Operation>>;
};
const ops = Object.entries(document.paths)
  .flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ path, method, op })))
  .filter(({ op }) => op.security.some((s) => 'apiKey' in s || 'session' in s));
/** Who an operation lets in at all: keys only where its security lists them (session-only ones refuse keys). */
const admits = (op: Operation, who: Principal) =>
  op.security.some((s) => (who.via === 'session' ? 'session' : 'apiKey') in s);

const ROLES: Role[] = ['viewer', 'member', 'admin', 'owner'];
const SCOPES: ApiKeyScope[] = ['read', 'write', 'admin'];

type Principal = { name: string; headers: Record<string, string> } & (
  { via: 'session'; role: Role } | { via: 'api-key'; scopes: ApiKeyScope[] }
);

/** An org with a user of every role (each signed in), a key of every scope, and one of each object. */
async function world() {
  const org = await seedOrg();
  const device = await enroll(org, 'matrix');
  const now = Date.now();
  const statements: D1PreparedStatement[] = [];
  const principals: Principal[] = [];
  const users: Record<string, string> = {};
  for (const role of [...ROLES, 'target' as const]) {
    const userId = newId('usr');
    users[role] = userId;
    const token = `session-${crypto.randomUUID()}`;
    statements.push(
      env.DB.prepare('INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)').bind(
        userId,
        `${role}-${userId}@example.com`,
        role,
        'pbkdf2$1$AAAA$AAAA',
        now,
      ),
      env.DB.prepare('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)').bind(
        org.orgId,
        userId,
        role === 'target' ? 'viewer' : role,
        now,
      ),
      env.DB.prepare(
        'INSERT INTO sessions (id, org_id, user_id, token_hash, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).bind(newId('ses'), org.orgId, userId, await sha256Hex(token), now, now + 3_600_000, now),
    );
    if (role !== 'target') {
      // Same-origin, as the dashboard sends it: the CSRF rule has its own tests.
      const headers = { cookie: `ew_session=${token}`, origin: 'http://test' };
      principals.push({ name: `a ${role}`, via: 'session', role, headers });
    }
  }
  for (const scope of SCOPES) {
    const key = newApiKey();
    statements.push(
      env.DB.prepare(
        'INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).bind(newId('key'), org.orgId, scope, key.slice(0, 12), await sha256Hex(key), JSON.stringify([scope]), now),
    );
    principals.push({
      name: `a "${scope}" key`,
      via: 'api-key',
      scopes: [scope],
      headers: { authorization: `Bearer ${key}` },
    });
  }
  const seriesId = `s_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
  const invitationId = newId('inv');
  statements.push(
    env.DB.prepare(
      'INSERT INTO series (id, org_id, device_id, metric, labels, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).bind(seriesId, org.orgId, device.deviceId, 'matrix_m', '{}', now),
    env.DB.prepare(
      'INSERT INTO invitations (id, org_id, email, role, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).bind(
      invitationId,
      org.orgId,
      `invited-${invitationId}@example.com`,
      'viewer',
      await sha256Hex(invitationId),
      now,
      now + 3_600_000,
    ),
  );
  await env.DB.batch(statements);
  const alerts = await alertObjects(org, device.deviceId, seriesId);
  const firstId = async (table: string) =>
    (await env.DB.prepare(`SELECT id FROM ${table} WHERE org_id = ? LIMIT 1`).bind(org.orgId).first<{ id: string }>())!
      .id;
  const ids: [string, string][] = [
    ['/v1/devices/', device.deviceId],
    ['/v1/series/', seriesId],
    ['/v1/api-keys/', await firstId('api_keys')],
    ['/v1/enrollment-tokens/', await firstId('enrollment_tokens')],
    ['/v1/members/', users.target!],
    ['/v1/invitations/', invitationId],
    ['/v1/auth/sessions/', await firstId('sessions')],
    ...Object.entries(alerts),
    ...Object.entries(await siteObjects(org)),
  ];
  // Owners act last: their operations (deleting the org, handing it over) end the others' access.
  principals.sort(
    (a, b) => Number(a.via === 'session' && a.role === 'owner') - Number(b.via === 'session' && b.role === 'owner'),
  );
  return { principals, ids };
}
type World = Awaited<ReturnType<typeof world>>;

function request(o: (typeof ops)[number], w: World, who: Principal): Promise<Response> {
  const prefix = w.ids.find(([p]) => o.path.startsWith(p));
  const path = o.path.replace(/\{[^}]+\}/g, () => prefix?.[1] ?? 'unknown-id');
  const url = new URL(`http://test${path}`);
  for (const p of o.op.parameters ?? []) {
    if (p.in === 'query' && p.example !== undefined) url.searchParams.set(p.name, String(p.example));
  }
  const body = o.op.requestBody?.content['application/json']?.example;
  return SELF.fetch(url, {
    method: o.method.toUpperCase(),
    headers: { ...who.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

const allowed = (who: Principal, permission: Permission) =>
  holds(
    who.via === 'session' ? { via: 'session', role: who.role } : { via: 'api-key', scopes: who.scopes },
    permission,
  );

describe('the permission matrix', () => {
  it.each(ops.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    '%s is refused exactly where the table says',
    async (_name, o) => {
      const permission = o.op['x-permission']!;
      expect(permission in PERMISSIONS, `${o.op.operationId} declares no permission`).toBe(true);
      const w = await world();
      for (const who of w.principals.filter((p) => admits(o.op, p))) {
        const res = await request(o, w, who);
        const text = await res.text();
        const tableRefusal =
          res.status === 403 && text.includes(JSON.stringify(refusalMessage(permission)).slice(1, -1));
        if (allowed(who, permission)) {
          expect(
            tableRefusal,
            `${who.name} may ${o.op.operationId} (${permission}) but got ${res.status} ${text}`,
          ).toBe(false);
          expect(res.status, `${who.name} was not authenticated: ${text}`).not.toBe(401);
        } else {
          expect(res.status, `${who.name} must be refused ${o.op.operationId}: ${text}`).toBe(403);
          expect(JSON.parse(text)).toEqual({ error: { code: 'forbidden', message: refusalMessage(permission) } });
        }
      }
    },
  );

  const withIds = ops.filter((o) => o.path.includes('{'));
  it.each(withIds.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))(
    "%s answers 404 with another organisation's ids, for every role and key the table lets through",
    async (_name, o) => {
      const [mine, theirs] = [await world(), await world()];
      for (const who of mine.principals.filter((p) => admits(o.op, p) && allowed(p, o.op['x-permission']!))) {
        const res = await request(o, { ...mine, ids: theirs.ids }, who);
        expect(res.status, `${who.name}: ${await res.clone().text()}`).toBe(404);
      }
    },
  );
});
