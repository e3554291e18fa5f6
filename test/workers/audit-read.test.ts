import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepAudit } from '../../workers/src/services/audit/retention.ts';
import { newId } from '../../workers/src/services/credentials/crypto.ts';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { api, seedOrg, type TestOrg } from './helpers.ts';

const DAY = 86_400_000;

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Inserts audit rows straight in D1, one per `ts`, for the reading tests. */
async function seedAudit(
  orgId: string,
  rows: { ts: number; actor?: string; action?: string; target?: [string, string] }[],
) {
  await env.DB.batch(
    rows.map((r) =>
      env.DB.prepare(
        `INSERT INTO audit_log (id, org_id, ts, actor_type, actor_id, actor_role, action, target_type, target_id, outcome)
         VALUES (?, ?, ?, 'user', ?, 'admin', ?, ?, ?, 'success')`,
      ).bind(
        newId('aud'),
        orgId,
        r.ts,
        r.actor ?? 'usr_a',
        r.action ?? 'updateDevice',
        ...(r.target ?? ['device', 'dev_a']),
      ),
    ),
  );
}

interface Page {
  entries: { id: string; ts: number; actor: { id: string }; action: string; target: { type: string; id: string } }[];
  nextCursor: string | null;
}

describe('GET /v1/audit', () => {
  const T0 = Date.UTC(2026, 10, 1);
  let reader: TestOrg;

  beforeAll(async () => {
    reader = await seedOrg();
    await seedAudit(
      reader.orgId,
      Array.from({ length: 25 }, (_, i) => ({
        ts: T0 + i * 1000,
        actor: i % 2 ? 'usr_odd' : 'usr_even',
        action: i % 5 === 0 ? 'revokeApiKey' : 'updateDevice',
        target: i % 5 === 0 ? ['api_key', `key_${i}`] : ['device', 'dev_a'],
      })),
    );
  });

  const read = async (query: string) => {
    const res = await api(reader.apiKey, `/v1/audit${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };

  it('pages newest first through every row once, ending with a null cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const page: Page = await read(`?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.entries.map((e) => e.ts));
      cursor = page.nextCursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => T0 + (24 - i) * 1000));
  });

  it('filters by actor, action, target and a [from, to) range', async () => {
    expect((await read('?actor=usr_odd')).entries).toHaveLength(12);
    expect((await read('?action=revokeApiKey')).entries.map((e) => e.target.id)).toEqual([
      'key_20',
      'key_15',
      'key_10',
      'key_5',
      'key_0',
    ]);
    expect((await read('?targetType=api_key&targetId=key_10')).entries).toHaveLength(1);
    const range = await read(`?from=${T0 + 3000}&to=${new Date(T0 + 6000).toISOString()}`);
    expect(range.entries.map((e) => e.ts)).toEqual([T0 + 5000, T0 + 4000, T0 + 3000]);
  });

  it('answers a bad cursor with a 400 naming cursor', async () => {
    const res = await api(reader.apiKey, '/v1/audit?cursor=bm90LWEtY3Vyc29y');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe('cursor');
  });

  it("never shows another org's rows, whatever the filters", async () => {
    const other = await seedOrg();
    await seedAudit(other.orgId, [{ ts: T0, actor: 'usr_odd', target: ['api_key', 'key_10'] }]);
    const mine = await read('?actor=usr_odd&limit=1000');
    expect(mine.entries).toHaveLength(12);
    const theirs = await api(other.apiKey, '/v1/audit?limit=1000');
    const page = (await theirs.json()) as Page;
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]!.actor.id).toBe('usr_odd');
  });

  it('shows a row the API wrote with its actor, target and changes', async () => {
    const res = await api(reader.apiKey, '/v1/events', json('POST', { type: 'custom.shown' }));
    const event = (await res.json()) as { id: string };
    const page = await read(`?targetType=event&targetId=${event.id}`);
    expect(page.entries).toEqual([
      expect.objectContaining({
        action: 'createEvent',
        target: { type: 'event', id: event.id },
        outcome: 'success',
        requestId: res.headers.get('x-request-id'),
        actor: expect.objectContaining({ type: 'api_key', role: null, scopes: ['read', 'write', 'admin'] }),
        changes: { after: { type: 'custom.shown', subject: expect.any(String) } },
      }),
    ]);
  });
});

describe('audit retention', () => {
  it("deletes rows older than the org's audit_retention_days, and only those", async () => {
    const now = Date.now();
    const short = await seedOrg();
    const long = await seedOrg();
    await env.DB.prepare('UPDATE organisations SET audit_retention_days = 7 WHERE id = ?').bind(short.orgId).run();
    const ages = [1, 6, 8, 30, 400];
    for (const o of [short, long])
      await seedAudit(
        o.orgId,
        ages.map((d) => ({ ts: now - d * DAY })),
      );
    // The cron runs the sweep.
    await runCron(env, now);
    const left = async (orgId: string) =>
      (
        await env.DB.prepare('SELECT ts FROM audit_log WHERE org_id = ? ORDER BY ts DESC')
          .bind(orgId)
          .all<{ ts: number }>()
      ).results.map((r) => Math.round((now - r.ts) / DAY));
    expect(await left(short.orgId)).toEqual([1, 6]);
    // The default is 365 days.
    expect(await left(long.orgId)).toEqual([1, 6, 8, 30]);
    // Running again deletes nothing more.
    await sweepAudit(env.DB, now, Date.now() + 10_000);
    expect(await left(short.orgId)).toEqual([1, 6]);
  });
});
