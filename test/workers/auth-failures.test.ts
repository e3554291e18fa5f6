import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { newApiKey } from '../../workers/src/services/credentials/tokens.ts';
import { api, seedOrg } from './helpers.ts';

async function expect401(res: Response, code: string): Promise<void> {
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: { code } });
}

describe('401 answers of caller routes', () => {
  it('answers unauthenticated when no credential is sent', async () => {
    await expect401(await SELF.fetch('http://test/v1/devices'), 'unauthenticated');
  });

  it('answers invalid_api_key for a well-formed key that was never issued', async () => {
    await expect401(await api(newApiKey(), '/v1/devices'), 'invalid_api_key');
  });

  it('answers invalid_api_key for a credential that is not an API key at all', async () => {
    await expect401(await api('ewd.dev_x.secret', '/v1/devices'), 'invalid_api_key');
  });

  it('answers invalid_api_key for a revoked key, which worked before', async () => {
    const org = await seedOrg();
    expect((await api(org.apiKey, '/v1/devices')).status).toBe(200);
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE org_id = ?').bind(Date.now(), org.orgId).run();
    await expect401(await api(org.apiKey, '/v1/devices'), 'invalid_api_key');
  });

  it('answers invalid_session for a session cookie that matches no session', async () => {
    const res = await SELF.fetch('http://test/v1/devices', { headers: { cookie: 'ew_session=not-a-session' } });
    await expect401(res, 'invalid_session');
  });

  it('answers 401 before validating input: a bad query with no credential is unauthenticated, not 400', async () => {
    await expect401(await SELF.fetch('http://test/v1/devices?limit=abc'), 'unauthenticated');
  });
});
