import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, enroll, seedOrg, type TestOrg } from './helpers.ts';

/** Every place an id is expected refuses an empty or malformed one with a 400 naming it, before any query. */

let org: TestOrg;
let deviceId: string;

beforeAll(async () => {
  org = await seedOrg();
  ({ deviceId } = await enroll(org, 'ids-host'));
});

const json = (method: string, body: unknown) => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function expectRefused(res: Response, field: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field } });
}

describe('empty ids', () => {
  it('refuses an enrollment token for an empty siteId with 400 naming siteId, and stores no token', async () => {
    const count = () =>
      env.DB.prepare('SELECT COUNT(*) AS n FROM enrollment_tokens WHERE org_id = ?')
        .bind(org.orgId)
        .first<{ n: number }>();
    const before = (await count())!.n;
    await expectRefused(
      await api(org.apiKey, '/v1/enrollment-tokens', json('POST', { kind: 'host', siteId: '' })),
      'siteId',
    );
    expect((await count())!.n).toBe(before);
  });

  it('refuses a device patch moving it to an empty or blank site, and leaves the device as it was', async () => {
    for (const siteId of ['', ' ', 'a b']) {
      await expectRefused(await api(org.apiKey, `/v1/devices/${deviceId}`, json('PATCH', { siteId })), 'siteId');
    }
    const row = await env.DB.prepare('SELECT site_id FROM devices WHERE id = ?')
      .bind(deviceId)
      .first<{ site_id: null }>();
    expect(row!.site_id).toBeNull();
  });

  it.each([
    ['/v1/devices?site=', 'site'],
    ['/v1/series?device=', 'device'],
    ['/v1/metrics?device=', 'device'],
    ['/v1/metrics?site=', 'site'],
    ['/v1/latest?devices=', 'devices'],
    ['/v1/latest?devices=dev_a,,dev_b', 'devices'],
    ['/v1/history?series=,', 'series'],
    ['/v1/stats?series=s_a,', 'series'],
  ])('refuses %s with 400 naming %s', async (path, field) => {
    await expectRefused(await api(org.apiKey, path), field);
  });

  it.each([
    ['GET', '/v1/devices/%20'],
    ['GET', '/v1/series/%20/history'],
    ['DELETE', '/v1/series/%20'],
    ['DELETE', '/v1/api-keys/%20'],
    ['DELETE', '/v1/enrollment-tokens/%20'],
    ['GET', '/v1/devices/%20/agent-config'],
  ])('refuses %s %s (a blank id) with 400 naming id', async (method, path) => {
    await expectRefused(await api(org.apiKey, path, { method }), 'id');
  });
});
