import { env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { api, batch, enroll, ingest, login, seedOrg, seedUser, type TestOrg } from './helpers.ts';

/** `SELF.fetch` sees `http://test/...`, so this is the platform's own origin here. */
const OWN = 'http://test';
/** Another port of the same host: the same site, so a SameSite=Lax cookie goes along. */
const SIBLING = 'http://test:8788';

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };
let cookie: string;

beforeEach(async () => {
  org = await seedOrg();
  const email = `admin-${crypto.randomUUID()}@example.com`;
  await seedUser(org.orgId, email, 'correct horse', 'admin');
  const res = await login({ email, password: 'correct horse' });
  expect(res.status).toBe(200);
  cookie = /ew_session=[^;]+/.exec(res.headers.get('set-cookie')!)![0];
  device = await enroll(org, `host-${crypto.randomUUID().slice(0, 8)}`);
});

/** A request signed in by the session cookie only, as a browser would send it. */
function withCookie(path: string, init: RequestInit & { headers?: Record<string, string> }) {
  return SELF.fetch(`${OWN}${path}`, { ...init, headers: { cookie, ...init.headers } });
}

/** What a `<form enctype="text/plain">` sends, `name=value`, with the `=` hidden inside a JSON string. */
const FORGED_KEY = '{"name":"pwned=","scopes":["read","write","admin"]}';

const revoke = (headers: Record<string, string>) =>
  withCookie(`/v1/devices/${device.deviceId}/revoke`, { method: 'POST', headers });
const createKey = (headers: Record<string, string>, body = FORGED_KEY) =>
  withCookie('/v1/api-keys', { method: 'POST', headers, body });
const rename = (headers: Record<string, string>, name: string) =>
  withCookie(`/v1/devices/${device.deviceId}`, { method: 'PATCH', headers, body: JSON.stringify({ name }) });

async function keyNames(): Promise<string[]> {
  const res = await api(org.apiKey, '/v1/api-keys');
  return ((await res.json()) as { keys: { name: string }[] }).keys.map((k) => k.name);
}

async function deviceName(): Promise<string> {
  const res = await api(org.apiKey, `/v1/devices/${device.deviceId}`);
  return ((await res.json()) as { name: string }).name;
}

/** A revoked device's token is refused, so an accepted batch shows the device is still active. */
async function deviceStillIngests(): Promise<boolean> {
  const res = await ingest(
    device.deviceToken,
    batch(crypto.randomUUID(), [{ metric: 'up', ts: Date.now(), value: 1 }]),
  );
  return res.ok;
}

async function expectRefusal(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe('cookie-authenticated writes from another origin', () => {
  it('refuses a revoke, a key creation and a rename from a sibling origin and changes nothing', async () => {
    const names = await keyNames();
    const before = await deviceName();
    const foreign = { origin: SIBLING, 'content-type': 'text/plain' };
    const message = await expectRefusal(await revoke(foreign), 403, 'cross_origin_request');
    expect(message).toContain(`"${SIBLING}"`);
    expect(message).toContain(`"${OWN}"`);
    await expectRefusal(await createKey(foreign), 403, 'cross_origin_request');
    await expectRefusal(
      await rename({ origin: SIBLING, 'content-type': 'application/json' }, 'renamed'),
      403,
      'cross_origin_request',
    );
    expect(await deviceStillIngests()).toBe(true);
    expect(await keyNames()).toEqual(names);
    expect(await deviceName()).toBe(before);
  });

  it('refuses a write whose Sec-Fetch-Site is cross-site or same-site when no Origin is sent', async () => {
    for (const site of ['cross-site', 'same-site', 'none']) {
      await expectRefusal(await revoke({ 'sec-fetch-site': site }), 403, 'cross_origin_request');
    }
    expect(await deviceStillIngests()).toBe(true);
  });

  it('refuses a write that shows neither Origin nor Sec-Fetch-Site', async () => {
    await expectRefusal(await revoke({}), 403, 'cross_origin_request');
    expect(await deviceStillIngests()).toBe(true);
  });

  it('refuses an Origin of "null" (sandboxed frames, opaque redirects)', async () => {
    await expectRefusal(await revoke({ origin: 'null' }), 403, 'cross_origin_request');
    expect(await deviceStillIngests()).toBe(true);
  });
});

describe('cookie-authenticated writes from the platform itself', () => {
  it('renames, creates a key and revokes when Origin is the platform origin', async () => {
    const own = { origin: OWN, 'content-type': 'application/json' };
    expect((await rename(own, 'renamed')).status).toBe(200);
    expect(await deviceName()).toBe('renamed');
    const created = await createKey(own, JSON.stringify({ name: 'dashboard', scopes: ['read'] }));
    expect(created.status).toBe(201);
    expect(await keyNames()).toContain('dashboard');
    expect((await revoke({ origin: OWN })).status).toBe(200);
    expect(await deviceStillIngests()).toBe(false);
  });

  it('accepts Sec-Fetch-Site: same-origin when no Origin is sent', async () => {
    const res = await rename({ 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, 'via-fetch-site');
    expect(res.status).toBe(200);
    expect(await deviceName()).toBe('via-fetch-site');
  });

  it('refuses a text/plain or untyped body with 415 and stores nothing', async () => {
    const names = await keyNames();
    await expectRefusal(await createKey({ origin: OWN, 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    await expectRefusal(await createKey({ origin: OWN }), 415, 'unsupported_media_type');
    await expectRefusal(
      await createKey({ origin: OWN, 'content-type': 'application/x-www-form-urlencoded' }, 'name=x'),
      415,
      'unsupported_media_type',
    );
    expect(await keyNames()).toEqual(names);
  });

  it('lets reads through whatever their origin', async () => {
    const res = await withCookie('/v1/auth/me', { headers: { origin: SIBLING } });
    expect(res.status).toBe(200);
  });
});

describe('API-key writes', () => {
  it('are unaffected by a foreign Origin, even with a session cookie alongside', async () => {
    const res = await SELF.fetch(`${OWN}/v1/devices/${device.deviceId}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${org.apiKey}`,
        origin: SIBLING,
        'sec-fetch-site': 'cross-site',
        cookie,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'by-key' }),
    });
    expect(res.status).toBe(200);
    expect(await deviceName()).toBe('by-key');
  });
});

describe('signing in and out', () => {
  const credentials = async () => {
    const email = `user-${crypto.randomUUID()}@example.com`;
    await seedUser(org.orgId, email, 'pw');
    return { email, password: 'pw' };
  };
  const sessions = async () => (await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions').first<{ n: number }>())!.n;

  it('refuses a sign-in from a foreign origin and starts no session', async () => {
    const before = await sessions();
    for (const headers of [{ origin: SIBLING }, { 'sec-fetch-site': 'same-site' }] as Record<string, string>[]) {
      const res = await login(await credentials(), headers);
      expect(res.headers.get('set-cookie')).toBeNull();
      await expectRefusal(res, 403, 'cross_origin_request');
    }
    expect(await sessions()).toBe(before);
  });

  it('signs in from the platform origin and from a script that sends no Origin', async () => {
    expect((await login(await credentials(), { origin: OWN })).status).toBe(200);
    expect((await login(await credentials())).status).toBe(200);
  });

  it('refuses a sign-out from a foreign origin and keeps the session', async () => {
    const res = await withCookie('/v1/auth/logout', { method: 'POST', headers: { origin: SIBLING } });
    await expectRefusal(res, 403, 'cross_origin_request');
    expect((await withCookie('/v1/auth/me', {})).status).toBe(200);
    expect((await withCookie('/v1/auth/logout', { method: 'POST', headers: { origin: OWN } })).status).toBe(200);
    expect((await withCookie('/v1/auth/me', {})).status).toBe(401);
  });
});
