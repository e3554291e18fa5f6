import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertObjects } from './alert-fixtures.ts';
import { siteObjects } from './site-fixtures.ts';
import { api, batch, enroll, ingest, seedOrg, seedUser, type TestOrg } from './helpers.ts';

/**
 * Every operation of the generated OpenAPI document, held to what the document promises:
 * authentication, scopes, org isolation and input validation naming the bad field.
 */

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  maxLength?: number;
  maximum?: number;
  [k: string]: unknown;
};
interface Operation {
  operationId: string;
  security: Record<string, unknown>[];
  'x-required-scope'?: 'read' | 'write' | 'admin';
  parameters?: { name: string; in: string; schema: Schema; example?: string }[];
  requestBody?: { content: { 'application/json': { schema: Schema; example?: Record<string, unknown> } } };
}
interface Op {
  name: string;
  method: string;
  path: string;
  op: Operation;
}

const document = (await (await SELF.fetch('http://test/v1/openapi.json')).json()) as {
  paths: Record<string, Record<string, Operation>>;
};
const ops: Op[] = Object.entries(document.paths).flatMap(([path, byMethod]) =>
  Object.entries(byMethod).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, op })),
);
const isCaller = (o: Op) => o.op.security.some((s) => 'apiKey' in s);
const isDevice = (o: Op) => o.op.security.some((s) => 'deviceToken' in s);

/** A key without the scope the operation needs. */
const LACKING: Record<string, string[]> = { read: ['write'], write: ['read'], admin: ['read', 'write'] };

interface World {
  org: TestOrg;
  deviceToken: string;
  ids: Record<string, string>;
}
let a: World;
let b: World;

/** An org with one of every object a path can name: device, series, key, token, member, invitation, alert objects. */
async function world(): Promise<World> {
  const org = await seedOrg();
  const device = await enroll(org, 'conformance');
  expect(
    (await ingest(device.deviceToken, batch('c-1', [{ metric: 'conf_m', ts: Date.now() - 1000, value: 1 }]))).status,
  ).toBe(200);
  let seriesId: string | undefined;
  for (let i = 0; i < 50 && !seriesId; i++) {
    const found = (await (await api(org.apiKey, '/v1/series?metric=conf_m')).json()) as { series?: { id: string }[] };
    seriesId = found.series?.[0]?.id;
    if (!seriesId) await new Promise((r) => setTimeout(r, 50));
  }
  expect(seriesId, 'the ingested series never appeared in GET /v1/series').toBeDefined();
  const keys = (await (await api(org.apiKey, '/v1/api-keys')).json()) as { keys: { id: string }[] };
  const member = await seedUser(org.orgId, `member-${org.orgId}@example.com`, 'unused-password', 'viewer');
  const invited = (await (
    await api(org.apiKey, '/v1/invitations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `invited-${org.orgId}@example.com`, role: 'viewer' }),
    })
  ).json()) as { id: string };
  const tokens = (await (await api(org.apiKey, '/v1/enrollment-tokens')).json()) as { tokens: { id: string }[] };
  const alerts = await alertObjects(org, device.deviceId, seriesId!);
  return {
    org,
    deviceToken: device.deviceToken,
    ids: {
      '/v1/devices/': device.deviceId,
      '/v1/series/': seriesId!,
      '/v1/api-keys/': keys.keys[0]!.id,
      '/v1/enrollment-tokens/': tokens.tokens[0]!.id,
      '/v1/members/': member,
      '/v1/invitations/': invited.id,
      ...alerts,
      ...(await siteObjects(org)),
    },
  };
}

function resolve(path: string, w: World): string {
  const prefix = Object.keys(w.ids).find((p) => path.startsWith(p));
  if (path.includes('{') && !prefix) throw new Error(`no object known for ${path}: add one to world()`);
  return path.replace(/\{[^}]+\}/g, () => w.ids[prefix!]!);
}

function call(o: Op, w: World, init: { auth?: string; query?: Record<string, string>; body?: unknown } = {}) {
  const url = new URL(`http://test${resolve(o.path, w)}`);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.auth) headers.authorization = `Bearer ${init.auth}`;
  const body = init.body ?? o.op.requestBody?.content['application/json'].example;
  return SELF.fetch(url, {
    method: o.method.toUpperCase(),
    headers,
    ...(body !== undefined && o.method !== 'get' ? { body: JSON.stringify(body) } : {}),
  });
}

/** A value the schema refuses, or undefined when none can be derived from it. */
function invalidValue(s: Schema, inQuery: boolean): unknown {
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (Array.isArray(s.enum)) return '__not_a_member__';
  if (type === 'integer' || type === 'number') return s.maximum !== undefined && !inQuery ? s.maximum + 1 : 'abc';
  if (type === 'string' && s.maxLength !== undefined) return 'x'.repeat(s.maxLength + 1);
  if (!inQuery && (type === 'boolean' || type === 'array' || type === 'object')) return 'not-a-' + type;
  return undefined;
}

interface BadInput {
  field: string;
  query?: Record<string, string>;
  body?: unknown;
}

/** One property made invalid, everything else as in the operation's (valid) example. */
function badInput(o: Op): BadInput | undefined {
  const example = Object.fromEntries(
    (o.op.parameters ?? []).filter((p) => p.in === 'query' && p.example !== undefined).map((p) => [p.name, p.example!]),
  );
  for (const p of (o.op.parameters ?? []).filter((p) => p.in === 'query')) {
    const value = invalidValue(p.schema, true);
    if (value !== undefined) return { field: p.name, query: { ...example, [p.name]: String(value) } };
  }
  const media = o.op.requestBody?.content['application/json'];
  if (!media) return undefined;
  for (const [name, schema] of Object.entries((media.schema.properties ?? {}) as Record<string, Schema>)) {
    const value = invalidValue(schema, false);
    if (value !== undefined) return { field: name, body: { ...media.example, [name]: value } };
  }
  if (media.schema.additionalProperties === false)
    return { field: 'unexpected', body: { ...media.example, unexpected: 1 } };
  return undefined;
}

beforeAll(async () => {
  [a, b] = [await world(), await world()];
});

describe('every caller operation', () => {
  it.each(ops.filter(isCaller).map((o) => [o.name, o] as const))(
    '%s answers 401 without credentials',
    async (_n, o) => {
      const res = await call(o, a);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    },
  );

  it.each(ops.filter((o) => isCaller(o) && o.op['x-required-scope']).map((o) => [o.name, o] as const))(
    '%s answers 403 to a key without its scope',
    async (_n, o) => {
      const lacking = await seedOrg(LACKING[o.op['x-required-scope']!]);
      const res = await call(o, { ...a, org: lacking }, { auth: lacking.apiKey });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    },
  );
});

describe('every operation on one object', () => {
  // With this test's key; operations no key may call get the same check per role in the permission matrix.
  it.each(
    ops.filter((o) => isCaller(o) && o.op['x-required-scope'] && o.path.includes('{')).map((o) => [o.name, o] as const),
  )("%s answers 404 for another org's object", async (_n, o) => {
    const url = resolve(o.path, b);
    const res = await call({ ...o, path: url }, a, { auth: a.org.apiKey });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('every operation with input', () => {
  // An operation no key may call (an owner's) is refused to this test's key first; its input has its own tests.
  // Session-only operations are driven by the permission matrix and their own tests.
  const sessionOnly = (o: Op) => !isCaller(o) && o.op.security.some((s) => 'session' in s);
  const cases = ops
    .filter((o) => !sessionOnly(o) && (!isCaller(o) || o.op['x-required-scope']))
    .flatMap((o) => {
      const bad = badInput(o);
      return bad ? [[`${o.name} (${bad.field})`, o, bad] as const] : [];
    });
  it.each(cases)('%s answers 400 naming the field', async (_n, o, bad) => {
    const auth = isCaller(o) ? a.org.apiKey : isDevice(o) ? a.deviceToken : undefined;
    const res = await call(o, a, { ...(auth ? { auth } : {}), ...bad });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field?: string } }).error.field).toBe(bad.field);
  });
});
