import { env, SELF } from 'cloudflare:test';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { newEnrollmentToken } from '../../workers/src/services/credentials/tokens.ts';
import { api, type TestOrg } from './helpers.ts';

/** Sites, controllers and trend logs for the workers tests, created through the API. */

export const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Calls the API with the org's key and returns status and parsed body. */
export async function call<T = Record<string, unknown>>(
  key: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await api(key, path, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

export async function createSite(org: TestOrg, body: Record<string, unknown> = {}): Promise<string> {
  const res = await call<{ id: string }>(org.apiKey, '/v1/sites', json('POST', { name: 'Main building', ...body }));
  if (res.status !== 201) throw new Error(`create site: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function createController(
  org: TestOrg,
  siteId: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await call<{ id: string }>(
    org.apiKey,
    `/v1/sites/${siteId}/controllers`,
    json('POST', { serial: Math.floor(Math.random() * 1e9), ip: '192.168.1.20', ...body }),
  );
  if (res.status !== 201) throw new Error(`create controller: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/**
 * Enrolls a gateway device into `siteId` through the real endpoint, with an enrollment token of
 * kind gateway made for it.
 */
export async function enrollGateway(
  org: TestOrg,
  siteId: string | null,
  name = 'gw-1',
): Promise<{ deviceId: string; deviceToken: string }> {
  const token = newEnrollmentToken();
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO enrollment_tokens (id, org_id, site_id, token_hash, kind, max_uses, uses, expires_at, created_at) VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)',
  )
    .bind(newId('enr'), org.orgId, siteId, await sha256Hex(token), 'gateway', now + 3_600_000, now)
    .run();
  const res = await SELF.fetch('http://test/v1/agents/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, name }),
  });
  if (res.status !== 201) throw new Error(`enroll gateway: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The gateway's remote config as it polls it, with its ETag. */
export async function agentConfig(deviceToken: string, etag?: string) {
  const res = await SELF.fetch('http://test/v1/agents/config', {
    headers: { authorization: `Bearer ${deviceToken}`, ...(etag ? { 'if-none-match': etag } : {}) },
  });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    config: text
      ? (JSON.parse(text) as { config: Record<string, unknown> & { gateway?: GatewaySection } }).config
      : null,
  };
}

export interface GatewaySection {
  controllers: { id: string; serial: number | null; host: string; port: number; unit: number; timeoutMs: number }[];
  trendLogs: {
    id: string;
    intervalSeconds: number;
    points: { controller: string; point: string }[];
    registers: { controller: string; spec: Record<string, unknown> }[];
  }[];
  discovery: { enabled: boolean; intervalSeconds: number; targets: { host: string; port: number }[] };
}

/**
 * One site, one controller at it and one trend log of it, for the tests that walk every operation
 * of the document (conformance, fuzz, permission matrix), keyed by the path prefix that names them.
 */
export async function siteObjects(org: TestOrg): Promise<Record<string, string>> {
  const siteId = await createSite(org, { name: 'Fixture site' });
  const controllerId = await createController(org, siteId, { serial: 7_000_001 });
  const res = await call<{ id: string }>(
    org.apiKey,
    '/v1/trend-logs',
    json('POST', {
      name: 'Fixture trend log',
      siteId,
      intervalSeconds: 60,
      points: [{ controllerId, point: 'IN1' }],
    }),
  );
  if (res.status !== 201) throw new Error(`create trend log: ${res.status} ${JSON.stringify(res.body)}`);
  return { '/v1/sites/': siteId, '/v1/controllers/': controllerId, '/v1/trend-logs/': res.body.id };
}
