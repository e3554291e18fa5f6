import { env, runDurableObjectAlarm, SELF } from 'cloudflare:test';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { hashPassword, newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { newApiKey, newEnrollmentToken } from '../../workers/src/services/credentials/tokens.ts';

export interface TestOrg {
  orgId: string;
  apiKey: string;
  enrollmentToken: string;
}

/** Creates an organisation with an API key and a multi-use enrollment token, straight in D1. */
export async function seedOrg(scopes: string[] = ['read', 'write', 'admin']): Promise<TestOrg> {
  const orgId = newId('org');
  const apiKey = newApiKey();
  const enrollmentToken = newEnrollmentToken();
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare('INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)').bind(
      orgId,
      `Org ${orgId}`,
      now,
    ),
    env.DB.prepare(
      'INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).bind(newId('key'), orgId, 'test', apiKey.slice(0, 12), await sha256Hex(apiKey), JSON.stringify(scopes), now),
    env.DB.prepare(
      'INSERT INTO enrollment_tokens (id, org_id, token_hash, kind, max_uses, uses, expires_at, created_at) VALUES (?, ?, ?, ?, NULL, 0, ?, ?)',
    ).bind(newId('enr'), orgId, await sha256Hex(enrollmentToken), 'host', now + 3600_000, now),
  ]);
  return { orgId, apiKey, enrollmentToken };
}

/**
 * `count` devices made straight in D1 (no token anyone holds, no hub yet), numbered from
 * `from + 1`, with ids that sort before any enrolled device's: for fan-outs past a bound.
 */
export async function addBareDevices(orgId: string, count: number, from = 0): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT ?4 + 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?4 + ?1)
     INSERT INTO devices (id, org_id, name, kind, token_hash, tags, created_at)
     SELECT printf('dev_0000000%s%05d', ?2, i), ?2, printf('bare-%05d', i), 'host', printf('bare-%s-%d', ?2, i), '[]', ?3 FROM n`,
  )
    .bind(count, orgId, Date.now(), from)
    .run();
}

/** Enrolls a device through the real endpoint. */
export async function enroll(org: TestOrg, name = 'host-1'): Promise<{ deviceId: string; deviceToken: string }> {
  const res = await SELF.fetch('http://test/v1/agents/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: org.enrollmentToken, name }),
  });
  if (res.status !== 201) throw new Error(`enroll failed: ${res.status} ${await res.text()}`);
  return res.json();
}

export function ingest(deviceToken: string, body: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch('http://test/v1/ingest', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}`, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

export function api(apiKey: string, path: string, init: RequestInit = {}) {
  return SELF.fetch(`http://test${path}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, ...(init.headers as Record<string, string> | undefined) },
  });
}

export function batch(
  batchId: string,
  samples: { metric: string; ts: number; value: number; labels?: Record<string, string> }[],
) {
  return { batchId, samples };
}

/** Runs a device's alarm until its hub has rolled up every dirty minute (into its minute, hour and day rollups). */
export async function flush(deviceId: string): Promise<void> {
  const hub = deviceHubFor(env, deviceId);
  while ((await hub.stats()).dirtyMinutes > 0) await runDurableObjectAlarm(hub);
}

/** Adds a user with `password` to an organisation, straight in D1; returns the user id. */
export async function seedUser(orgId: string, email: string, password: string, role = 'viewer'): Promise<string> {
  const userId = newId('usr');
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare('INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)').bind(
      userId,
      email,
      email.split('@')[0],
      await hashPassword(password),
      now,
    ),
    env.DB.prepare('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)').bind(
      orgId,
      userId,
      role,
      now,
    ),
  ]);
  return userId;
}

/** `POST /v1/auth/login` with a JSON body. */
export function login(body: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch('http://test/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
