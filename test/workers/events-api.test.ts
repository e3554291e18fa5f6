import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../schema/wire/stream.ts';
import { newId } from '../../workers/src/services/credentials/crypto.ts';
import { recordEvent } from '../../workers/src/services/events/record.ts';
import { deviceEventSubject, orgEventSubject } from '../../workers/src/services/streams/subjects.ts';
import { api, login, seedOrg, seedUser, type TestOrg } from './helpers.ts';

interface Page {
  events: StreamEvent[];
  nextCursor: string | null;
}

async function list(org: TestOrg, query: Record<string, string>): Promise<Page> {
  const res = await api(org.apiKey, `/v1/events?${new URLSearchParams(query)}`);
  expect(res.status).toBe(200);
  return res.json();
}

function post(org: TestOrg, body: unknown, headers: Record<string, string> = {}) {
  return api(org.apiKey, '/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const deviceEvent = (orgId: string, deviceId: string, type: string, ts: number) =>
  recordEvent(env, {
    orgId,
    type,
    subject: deviceEventSubject(orgId, null, deviceId, type),
    correlationId: null,
    data: {},
    ts,
  });

describe('GET /v1/events', () => {
  it('filters by subject pattern with * and **, and refuses another org’s pattern with 403', async () => {
    const org = await seedOrg();
    const t = 1_800_000_000_000;
    await deviceEvent(org.orgId, 'dev_a', 'device.online', t);
    await deviceEvent(org.orgId, 'dev_b', 'device.offline', t + 1);
    await deviceEvent(org.orgId, 'dev_a', 'agent.started', t + 2);
    await recordEvent(env, {
      orgId: org.orgId,
      type: 'config.changed',
      subject: orgEventSubject(org.orgId, 'config.changed'),
      correlationId: null,
      data: {},
      ts: t + 3,
    });
    // `_` is a LIKE wildcard in SQL: a literal `dev_a` prefix must not match `devXa`.
    await deviceEvent(org.orgId, 'devXa', 'device.online', t + 4);
    const other = await seedOrg();
    await deviceEvent(other.orgId, 'dev_a', 'device.online', t);

    const types = async (subject: string) => (await list(org, { subject })).events.map((e) => e.type);
    expect(await types(`org.${org.orgId}.**`)).toEqual([
      'device.online',
      'device.offline',
      'agent.started',
      'config.changed',
      'device.online',
    ]);
    expect(await types(`org.${org.orgId}.site._.device.dev_a.**`)).toEqual(['device.online', 'agent.started']);
    expect(await types(`org.${org.orgId}.site.*.device.*.event.device_online`)).toEqual([
      'device.online',
      'device.online',
    ]);
    expect(await types(`org.${org.orgId}.event.config_changed`)).toEqual(['config.changed']);
    expect(await types(`org.${org.orgId}.*.config_changed`)).toEqual(['config.changed']);

    const res = await api(org.apiKey, `/v1/events?subject=org.${other.orgId}.**`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden_subject', field: 'subject' } });
  });

  it('filters by time range [from, to), in epoch ms or ISO 8601, and by type', async () => {
    const org = await seedOrg();
    const t = Date.parse('2026-11-22T10:00:00Z');
    for (let i = 0; i < 5; i++)
      await deviceEvent(org.orgId, 'dev_a', i % 2 ? 'device.offline' : 'device.online', t + i * 1000);
    const ts = (p: Page) => p.events.map((e) => e.ts);
    expect(ts(await list(org, { from: String(t + 1000), to: String(t + 3000) }))).toEqual([t + 1000, t + 2000]);
    expect(ts(await list(org, { from: '2026-11-22T10:00:03Z' }))).toEqual([t + 3000, t + 4000]);
    expect(ts(await list(org, { to: '2026-11-22T10:00:01Z' }))).toEqual([t]);
    expect(ts(await list(org, { type: 'device.offline' }))).toEqual([t + 1000, t + 3000]);
  });

  it('finds the config.changed event of a PUT /v1/agent-config by its X-Request-Id', async () => {
    const org = await seedOrg();
    const requestId = `req-${newId('t')}`;
    const put = await api(org.apiKey, '/v1/agent-config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ intervals: { cpu: 30 } }),
    });
    expect(put.status).toBe(200);
    await post(org, { type: 'custom.noise' });
    const page = await list(org, { correlationId: requestId });
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({
      type: 'config.changed',
      subject: `org.${org.orgId}.event.config_changed`,
      correlationId: requestId,
      data: { scope: 'org', sections: ['intervals'] },
    });
    expect(page.nextCursor).toBeNull();
  });

  it('pages through more events than the limit with a cursor, without duplicates or gaps', async () => {
    const org = await seedOrg();
    const t = 1_800_000_000_000;
    const ids: string[] = [];
    // Shared timestamps put ties on the page boundaries; every third event falls outside the pattern.
    for (let i = 0; i < 45; i++) {
      const e = await deviceEvent(
        org.orgId,
        i % 3 === 2 ? 'dev_other' : 'dev_a',
        'device.online',
        t + Math.floor(i / 4),
      );
      if (i % 3 !== 2) ids.push(e.id);
    }
    const expected = [...ids].sort((a, b) => a.localeCompare(b)); // ordered by (ts, id) below
    const seen: StreamEvent[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { subject: `org.${org.orgId}.site.*.device.dev_a.**`, limit: '7' };
      if (cursor) query.cursor = cursor;
      const page: Page = await list(org, query);
      expect(page.events.length).toBe(page.nextCursor ? 7 : 30 % 7);
      seen.push(...page.events);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen.map((e) => e.id).sort((a, b) => a.localeCompare(b))).toEqual(expected);
    const order = seen.map((e) => [e.ts, e.id] as const);
    for (let i = 1; i < order.length; i++) {
      const [pts, pid] = order[i - 1]!;
      const [ts, id] = order[i]!;
      expect(ts > pts || (ts === pts && id > pid)).toBe(true);
    }
  });

  it('answers 400 naming the field for every bad parameter', async () => {
    const org = await seedOrg();
    for (const [query, field] of [
      [`subject=org.${org.orgId}..x`, 'subject'],
      [`subject=org.${org.orgId}`, 'subject'],
      [`subject=org.${org.orgId}.**.x`, 'subject'],
      ['from=yesterday', 'from'],
      ['to=nope', 'to'],
      ['from=2000&to=1000', 'from'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=!!!', 'cursor'],
      ['cursor=bm90IGEgY3Vyc29y', 'cursor'],
      ['type=Bad Type', 'type'],
      ['correlationId=', 'correlationId'],
      ['colour=red', 'colour'],
    ] as const) {
      const res = await api(org.apiKey, `/v1/events?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { field?: string } }).error.field, query).toBe(field);
    }
  });

  it('requires credentials', async () => {
    expect((await SELF.fetch('http://test/v1/events')).status).toBe(401);
  });
});

describe('POST /v1/events', () => {
  it('stores a custom event with the request id as correlation id, then serves it to queries', async () => {
    const org = await seedOrg();
    const res = await post(
      org,
      { type: 'custom.deploy', data: { version: '1.2.3' }, ts: 1_800_000_000_000 },
      { 'x-request-id': 'req-deploy-0001' },
    );
    expect(res.status).toBe(201);
    const event = (await res.json()) as StreamEvent;
    expect(event).toMatchObject({
      type: 'custom.deploy',
      subject: `org.${org.orgId}.event.custom_deploy`,
      ts: 1_800_000_000_000,
      correlationId: 'req-deploy-0001',
      data: { version: '1.2.3' },
    });
    const row = await env.DB.prepare('SELECT org_id, type FROM events WHERE id = ?').bind(event.id).first();
    expect(row).toEqual({ org_id: org.orgId, type: 'custom.deploy' });
    expect((await list(org, { correlationId: 'req-deploy-0001' })).events).toEqual([event]);

    const placed = await post(org, { type: 'backup.done', subject: `org.${org.orgId}.site.s1.event.backup` });
    expect(placed.status).toBe(201);
    expect((await list(org, { subject: `org.${org.orgId}.site.*.event.*` })).events.map((e) => e.type)).toEqual([
      'backup.done',
    ]);
  });

  it('refuses reserved types, wildcard or foreign subjects, and bad fields', async () => {
    const org = await seedOrg();
    for (const type of ['device.online', 'alert.fired', 'config.changed', 'agent.started', 'user.login']) {
      const res = await post(org, { type });
      expect(res.status, type).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field: 'type' } });
    }
    const cases: [unknown, number, string][] = [
      [{ type: 'Deploy' }, 400, 'type'],
      [{ type: 'custom.x', subject: `org.${org.orgId}.event.*` }, 400, 'subject'],
      [{ type: 'custom.x', subject: 'org.org_someoneelse.event.x' }, 403, 'subject'],
      [{ type: 'custom.x', data: [1, 2] }, 400, 'data'],
      [{ type: 'custom.x', ts: 12 }, 400, 'ts'],
      [{ type: 'custom.x', extra: true }, 400, 'extra'],
    ];
    for (const [body, status, field] of cases) {
      const res = await post(org, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      const err = ((await res.json()) as { error: { field?: string } }).error;
      expect(err.field ?? '', JSON.stringify(body)).toBe(field);
    }
    const { n } = (await env.DB.prepare('SELECT COUNT(*) AS n FROM events WHERE org_id = ?')
      .bind(org.orgId)
      .first<{ n: number }>())!;
    expect(n).toBe(0);
  });

  it('refuses data over 8 KB serialized with 413 and stores nothing', async () => {
    const org = await seedOrg();
    const res = await post(org, { type: 'custom.big', data: { blob: 'x'.repeat(8200) } });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large', field: 'data' } });
    expect((await list(org, {})).events).toEqual([]);
  });

  it('needs the write scope', async () => {
    const org = await seedOrg(['read']);
    expect((await post(org, { type: 'custom.x' })).status).toBe(403);
  });
});

describe('user actions', () => {
  it('records user.login and user.logout with the user id and nothing secret', async () => {
    const org = await seedOrg();
    const userId = await seedUser(org.orgId, 'ada@example.com', 'correct horse');
    const res = await login(
      { email: 'ada@example.com', password: 'correct horse' },
      { 'x-request-id': 'req-login-0001' },
    );
    expect(res.status).toBe(200);
    const token = /ew_session=([^;]+)/.exec(res.headers.get('set-cookie')!)![1]!;
    await SELF.fetch('http://test/v1/auth/logout', { method: 'POST', headers: { cookie: `ew_session=${token}` } });
    // A second logout with the same, now unknown, cookie records nothing.
    await SELF.fetch('http://test/v1/auth/logout', { method: 'POST', headers: { cookie: `ew_session=${token}` } });

    const page = await list(org, { subject: `org.${org.orgId}.event.*` });
    const byType = [...page.events].sort((a, b) => a.type.localeCompare(b.type));
    expect(byType.map((e) => [e.type, e.subject, e.data])).toEqual([
      ['user.login', `org.${org.orgId}.event.user_login`, { userId }],
      ['user.logout', `org.${org.orgId}.event.user_logout`, { userId }],
    ]);
    expect(byType[0]!.correlationId).toBe('req-login-0001');
    expect(JSON.stringify(page)).not.toContain('correct horse');
    expect(JSON.stringify(page)).not.toContain(token);
  });
});
