import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { addBareDevices, api, enroll, seedOrg, type TestOrg } from './helpers.ts';

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };

const poll = (token: string, headers: Record<string, string> = {}) =>
  SELF.fetch('http://test/v1/agents/config', { headers: { authorization: `Bearer ${token}`, ...headers } });
const put = (path: string, body: unknown, key = org.apiKey) =>
  api(key, path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  org = await seedOrg();
  device = await enroll(org, 'cfg-host');
});

describe('GET /v1/agents/config', () => {
  it("is answered from the device's hub, which reloads when told of a change", async () => {
    const d = await enroll(org, 'cfg-cached');
    const etag = (await poll(d.deviceToken)).headers.get('etag')!;
    // Written behind the API's back: no change is announced, so polls keep the hub's copy (no D1 read).
    await env.DB.prepare('INSERT INTO agent_configs (org_id, scope, config, updated_at) VALUES (?, ?, ?, ?)')
      .bind(org.orgId, d.deviceId, JSON.stringify({ disabled: ['ntp'] }), Date.now())
      .run();
    expect((await poll(d.deviceToken, { 'if-none-match': etag })).status).toBe(304);
    // What every change does (the API's PUT, a gateway's controllers, a host notice): tell the hub.
    await deviceHubFor(env, d.deviceId).configChanged();
    const fresh = await poll(d.deviceToken, { 'if-none-match': etag });
    expect(fresh.status).toBe(200);
    expect(((await fresh.json()) as { config: { disabled: string[] } }).config.disabled).toEqual(['ntp']);
  });

  it("tells every device's hub of an org-wide change: the first 50 at once, the rest through the queue", async () => {
    const big = await seedOrg();
    await addBareDevices(big.orgId, 60);
    // Its id sorts after the 60 others', so its hub is told by the queue's consumer.
    const far = await enroll(big, 'cfg-far');
    const etag = (await poll(far.deviceToken)).headers.get('etag')!;
    expect((await put('/v1/agent-config', { intervals: { cpu: 7 } }, big.apiKey)).status).toBe(200);
    await vi.waitFor(
      async () => {
        const res = await poll(far.deviceToken, { 'if-none-match': etag });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { config: { intervals: object } }).config.intervals).toEqual({ cpu: 7 });
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('gives a device the defaults with an ETag, and 304 while nothing changed', async () => {
    const res = await poll(device.deviceToken);
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect(await res.json()).toEqual({
      config: { intervals: {}, disabled: [], probes: [], processes: [], ntp: { server: 'pool.ntp.org', port: 123 } },
      notices: [],
    });
    const again = await poll(device.deviceToken, { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });

  it('refuses an API key or no credentials', async () => {
    expect((await poll(org.apiKey)).status).toBe(401);
    expect((await SELF.fetch('http://test/v1/agents/config')).status).toBe(401);
  });

  it('lays the org default and then the device override over the defaults, and changes the ETag', async () => {
    const before = (await poll(device.deviceToken)).headers.get('etag');
    const orgRes = await put('/v1/agent-config', {
      intervals: { cpu: 5 },
      processes: [{ name: 'postgres', match: 'postgres' }],
    });
    expect(orgRes.status).toBe(200);
    const devRes = await put(`/v1/devices/${device.deviceId}/agent-config`, {
      probes: [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 }],
    });
    expect(devRes.status).toBe(200);
    const res = await poll(device.deviceToken, { 'if-none-match': before! });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).not.toBe(before);
    const { config } = (await res.json()) as { config: Record<string, unknown> };
    expect(config).toMatchObject({
      intervals: { cpu: 5 },
      processes: [{ name: 'postgres', match: 'postgres' }],
      probes: [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 }],
    });
    const view = await api(org.apiKey, `/v1/devices/${device.deviceId}/agent-config`);
    expect(await view.json()).toMatchObject({
      overrides: { probes: [{ name: 'db' }] },
      effective: { intervals: { cpu: 5 } },
    });
  });

  it('records a config.changed event with the request id as correlation id', async () => {
    await put('/v1/agent-config', { disabled: ['ntp'] }).then(async (r) => expect(r.status).toBe(200));
    const res = await api(org.apiKey, '/v1/agent-config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-config-0001' },
      body: JSON.stringify({ disabled: ['ntp', 'temperature'] }),
    });
    expect(res.status).toBe(200);
    const row = await env.DB.prepare('SELECT type, subject, data FROM events WHERE correlation_id = ?')
      .bind('req-config-0001')
      .first<{ type: string; subject: string; data: string }>();
    expect(row).toMatchObject({ type: 'config.changed', subject: `org.${org.orgId}.event.config_changed` });
    expect(JSON.parse(row!.data)).toMatchObject({ scope: 'org', sections: ['disabled'] });
  });
});

describe('PUT agent config', () => {
  it.each([
    [{ intervals: { cpu: 0 } }, 'intervals.cpu'],
    [{ intervals: { nope: 5 } }, 'intervals.nope'],
    [{ probes: [{ type: 'icmp', name: 'x' }] }, 'probes.0.type'],
    [{ probes: [{ type: 'http', name: 'web', url: 'ftp://x' }] }, 'probes.0.url'],
    [{ probes: [{ type: 'tcp', name: 'db', host: 'h', port: 70000 }] }, 'probes.0.port'],
    [{ processes: [{ name: '', match: 'x' }] }, 'processes.0.name'],
    [{ bogus: true }, ''],
  ])('rejects %j naming the field', async (body, field) => {
    const res = await put('/v1/agent-config', body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; field?: string } };
    expect(err.error.code).toBe('invalid_input');
    if (field) expect(err.error.field).toBe(field);
  });

  it('needs the admin scope', async () => {
    const reader = await seedOrg(['read', 'write']);
    expect((await put('/v1/agent-config', { disabled: [] }, reader.apiKey)).status).toBe(403);
  });

  it("answers 404 for another org's device", async () => {
    const other = await seedOrg();
    const theirs = await enroll(other, 'theirs');
    expect((await put(`/v1/devices/${theirs.deviceId}/agent-config`, { disabled: [] })).status).toBe(404);
    expect((await api(org.apiKey, `/v1/devices/${theirs.deviceId}/agent-config`)).status).toBe(404);
  });
});
