import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, batch, enroll, seedOrg, type TestOrg } from './helpers.ts';

/** Every JSON body must be declared as JSON: a missing or other Content-Type is a 415, and nothing is stored. */

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };

beforeAll(async () => {
  org = await seedOrg();
  device = await enroll(org, 'json-host');
});

async function expect415(res: Response): Promise<void> {
  expect(res.status).toBe(415);
  expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
}

describe('JSON request bodies', () => {
  it.each([
    ['without a Content-Type', undefined],
    ['as text/plain', 'text/plain'],
    ['as a form', 'application/x-www-form-urlencoded'],
  ])('refuses an ingest batch sent %s with 415 and stores nothing', async (_what, type) => {
    const body = new TextEncoder().encode(
      JSON.stringify(batch('ct-1', [{ metric: 'ct_m', ts: Date.now() - 1000, value: 1 }])),
    );
    const res = await SELF.fetch('http://test/v1/ingest', {
      method: 'POST',
      headers: { authorization: `Bearer ${device.deviceToken}`, ...(type ? { 'content-type': type } : {}) },
      body,
    });
    await expect415(res);
    const series = await env.DB.prepare("SELECT COUNT(*) AS n FROM series WHERE metric = 'ct_m'").first<{
      n: number;
    }>();
    expect(series!.n).toBe(0);
  });

  it('refuses an API key request sent as text/plain with 415 and creates no key', async () => {
    const res = await api(org.apiKey, '/v1/api-keys', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'sneaky', scopes: ['admin'] }),
    });
    await expect415(res);
    const keys = await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE name = 'sneaky'").first<{
      n: number;
    }>();
    expect(keys!.n).toBe(0);
  });

  it('refuses a device rename without a Content-Type with 415 and keeps the name', async () => {
    const res = await api(org.apiKey, `/v1/devices/${device.deviceId}`, {
      method: 'PATCH',
      body: new TextEncoder().encode(JSON.stringify({ name: 'renamed' })),
    });
    await expect415(res);
    const row = await env.DB.prepare('SELECT name FROM devices WHERE id = ?')
      .bind(device.deviceId)
      .first<{ name: string }>();
    expect(row!.name).toBe('json-host');
  });

  it('accepts application/json with a charset', async () => {
    const res = await api(org.apiKey, `/v1/devices/${device.deviceId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ tags: ['a'] }),
    });
    expect(res.status).toBe(200);
  });
});
