import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, batch, enroll, ingest, seedOrg } from './helpers.ts';

describe('ETag and Cache-Control on JSON reads', () => {
  it('tags a read, answers a matching If-None-Match with a bodiless 304, and retags when the data changes', async () => {
    const org = await seedOrg();
    const first = await api(org.apiKey, '/v1/api-keys');
    expect(first.status).toBe(200);
    const tag = first.headers.get('etag');
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const body = await first.json();

    const again = await api(org.apiKey, '/v1/api-keys');
    expect(again.headers.get('etag')).toBe(tag);
    expect(await again.json()).toEqual(body);

    const revalidated = await api(org.apiKey, '/v1/api-keys', { headers: { 'if-none-match': `"other", ${tag}` } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('etag')).toBe(tag);
    expect(revalidated.headers.get('cache-control')).toBe('private, no-cache');
    expect(await revalidated.text()).toBe('');

    await api(org.apiKey, '/v1/api-keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'grafana', scopes: ['read'] }),
    });
    const changed = await api(org.apiKey, '/v1/api-keys', { headers: { 'if-none-match': tag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tag);
    expect(((await changed.json()) as { keys: unknown[] }).keys).toHaveLength(2);
  });

  it('tags the OpenAPI document and the events log', async () => {
    const org = await seedOrg();
    for (const path of ['/v1/openapi.json', '/v1/events']) {
      const res = await api(org.apiKey, path);
      expect(res.status).toBe(200);
      const tag = res.headers.get('etag')!;
      expect(tag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect((await api(org.apiKey, path, { headers: { 'if-none-match': tag } })).status).toBe(304);
    }
  });

  it('puts no ETag on errors, writes or the agent config poll, which keeps its own', async () => {
    const org = await seedOrg();
    const missing = await api(org.apiKey, '/v1/devices/dev_missing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    const unauthorized = await api('ewk_wrong', '/v1/api-keys');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('etag')).toBeNull();

    const device = await enroll(org);
    const write = await ingest(device.deviceToken, batch('b-1', [{ metric: 'm', ts: Date.now(), value: 1 }]));
    expect(write.status).toBe(200);
    expect(write.headers.get('etag')).toBeNull();

    const poll = await api(device.deviceToken, '/v1/agents/config');
    expect(poll.status).toBe(200);
    expect(poll.headers.get('cache-control')).toBe('no-cache');
    expect(poll.headers.get('etag')).not.toMatch(/^"[A-Za-z0-9_-]{43}"$/);
  });

  it('never buffers the live stream: its SSE answer is not tagged and not stored', async () => {
    const org = await seedOrg();
    const res = await api(org.apiKey, `/v1/stream/sse?subject=${encodeURIComponent(`org.${org.orgId}.**`)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('etag')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    await res.body!.cancel();
  });

  it('neither tags nor stores the Prometheus scrape and the export', async () => {
    const org = await seedOrg();
    const from = encodeURIComponent(new Date(Date.now() - 3600_000).toISOString());
    const device = await enroll(org, 'untagged');
    for (const path of ['/v1/metrics', `/v1/export?device=${device.deviceId}&from=${from}`]) {
      const res = await api(org.apiKey, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('etag'), path).toBeNull();
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      await res.body!.cancel();
    }
  });

  it('documents a 304 for JSON reads only', async () => {
    const doc = (await (await SELF.fetch('http://test/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const has304 = (path: string) => '304' in doc.paths[path]!.get!.responses;
    expect([has304('/v1/devices'), has304('/v1/history'), has304('/v1/openapi.json')]).toEqual([true, true, true]);
    expect([has304('/v1/export'), has304('/v1/metrics'), has304('/v1/stream/sse')]).toEqual([false, false, false]);
  });
});
