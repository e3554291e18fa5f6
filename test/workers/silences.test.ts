import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView, SilenceView } from '../../schema/wire/alerts.ts';
import { newId } from '../../workers/src/services/credentials/crypto.ts';
import { asSession, auditRows, signIn } from './account-helpers.ts';
import { api, enroll, seedOrg, seedUser, type TestOrg } from './helpers.ts';
import { insertIncident, insertRule, insertSite, withKey } from './incident-fixtures.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let org: TestOrg;
let other: TestOrg;
let deviceId: string;
let theirDevice: string;
let ruleId: string;
let siteId: string;
let memberId: string;
let member: string;
let viewer: string;

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  deviceId = (await enroll(org, 'web-1')).deviceId;
  theirDevice = (await enroll(other, 'elsewhere')).deviceId;
  ruleId = await insertRule(org.orgId);
  siteId = await insertSite(org.orgId);
  memberId = await seedUser(org.orgId, `member-${org.orgId}@example.com`, 'member-password-1', 'member');
  await seedUser(org.orgId, `viewer-${org.orgId}@example.com`, 'viewer-password-1', 'viewer');
  member = await signIn(`member-${org.orgId}@example.com`, 'member-password-1');
  viewer = await signIn(`viewer-${org.orgId}@example.com`, 'viewer-password-1');
});

const create = (body: unknown, key = org.apiKey) => api(key, '/v1/silences', withKey(key, 'POST', body));

async function created(body: unknown, key = org.apiKey): Promise<SilenceView> {
  const res = await create(body, key);
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

/** A silence row straight in D1, for windows the API refuses to create (already over). */
async function insertSilence(orgId: string, startsAt: number, endsAt: number): Promise<string> {
  const id = newId('sil');
  await env.DB.prepare(
    'INSERT INTO silences (id, org_id, matchers, starts_at, ends_at, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)',
  )
    .bind(id, orgId, JSON.stringify([{ field: 'tag', value: 'old' }]), startsAt, endsAt, startsAt)
    .run();
  return id;
}

describe('POST /v1/silences', () => {
  it('lets a member silence, starting now by default, with an audit row', async () => {
    const before = Date.now();
    const endsAt = before + 2 * HOUR;
    const matchers = [
      { field: 'device', value: deviceId },
      { field: 'rule', value: ruleId },
      { field: 'site', value: siteId },
      { field: 'tag', value: 'prod' },
      { field: 'severity', value: 'warning' },
    ];
    const res = await asSession(member, '/v1/silences', {
      method: 'POST',
      body: { matchers, endsAt, comment: 'migration' },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const view = (await res.json()) as SilenceView;
    expect(view).toMatchObject({ matchers, endsAt, comment: 'migration', createdBy: memberId, state: 'active' });
    expect(view.startsAt).toBeGreaterThanOrEqual(before);
    expect(view.createdAt).toBe(view.startsAt);
    expect(await (await api(org.apiKey, `/v1/silences/${view.id}`)).json()).toEqual(view);
    const [audit] = (await auditRows(org.orgId, 'createSilence')).filter((r) => r.target_id === view.id);
    expect(audit).toMatchObject({ actor_type: 'user', actor_id: memberId, target_type: 'silence' });
    expect(JSON.parse(audit!.changes as string).after).toMatchObject({ matchers, endsAt, comment: 'migration' });
  });

  it('records no user for an API key, and a silence starting later is pending', async () => {
    const startsAt = Date.now() + HOUR;
    const view = await created({ matchers: [{ field: 'tag', value: 'prod' }], startsAt, endsAt: startsAt + HOUR });
    expect(view).toMatchObject({ createdBy: null, state: 'pending', startsAt, comment: null });
  });

  it('is refused to a viewer, who may read silences', async () => {
    const body = { matchers: [{ field: 'tag', value: 'prod' }], endsAt: Date.now() + HOUR };
    const res = await asSession(viewer, '/v1/silences', { method: 'POST', body });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await asSession(viewer, '/v1/silences')).status).toBe(200);
  });

  const now = Date.now();
  const device = (value: string) => [{ field: 'device', value }];
  it.each([
    ['no matchers', { matchers: [], endsAt: now + HOUR }, 'matchers'],
    [
      'a severity that is none',
      { matchers: [{ field: 'severity', value: 'fatal' }], endsAt: now + HOUR },
      'matchers.0.value',
    ],
    [
      'an unknown matcher field',
      { matchers: [{ field: 'colour', value: 'red' }], endsAt: now + HOUR },
      'matchers.0.field',
    ],
    ['an end before the start', { matchers: device('x'), startsAt: now + 2 * HOUR, endsAt: now + HOUR }, 'endsAt'],
    [
      'an end in the past',
      { matchers: [{ field: 'tag', value: 'a' }], startsAt: now - 2 * HOUR, endsAt: now - HOUR },
      'endsAt',
    ],
    ['a window over 90 days', { matchers: [{ field: 'tag', value: 'a' }], endsAt: now + 91 * DAY }, 'endsAt'],
    ['a missing end', { matchers: [{ field: 'tag', value: 'a' }] }, 'endsAt'],
    [
      'a long comment',
      { matchers: [{ field: 'tag', value: 'a' }], endsAt: now + HOUR, comment: 'x'.repeat(1001) },
      'comment',
    ],
    ['an unknown property', { matchers: [{ field: 'tag', value: 'a' }], endsAt: now + HOUR, creator: 'me' }, 'creator'],
  ])('refuses %s with 400 naming the field', async (_what, body, field) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field } });
  });

  it('refuses matchers naming a rule, device or site the org does not have, naming the matcher', async () => {
    const theirRule = await insertRule(other.orgId);
    const theirSite = await insertSite(other.orgId);
    const cases: [{ field: string; value: string }, string][] = [
      [{ field: 'device', value: theirDevice }, `no device "${theirDevice}" in this organisation`],
      [{ field: 'rule', value: theirRule }, `no rule "${theirRule}" in this organisation`],
      [{ field: 'site', value: theirSite }, `no site "${theirSite}" in this organisation`],
      [{ field: 'device', value: 'dev_nothing' }, 'no device "dev_nothing" in this organisation'],
    ];
    for (const [matcher, message] of cases) {
      const res = await create({ matchers: [{ field: 'tag', value: 'prod' }, matcher], endsAt: Date.now() + HOUR });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: { code: 'invalid_input', message: `matchers.1.value: ${message}`, field: 'matchers.1.value' },
      });
    }
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM silences WHERE org_id = ? AND matchers LIKE ?')
      .bind(org.orgId, `%${theirDevice}%`)
      .first<{ n: number }>();
    expect(count!.n).toBe(0);
  });
});

describe('GET /v1/silences', () => {
  it('lists active silences by default, and pending, expired or all by state, newest first', async () => {
    const listed = await seedOrg();
    const now = Date.now();
    const expired = await insertSilence(listed.orgId, now - 3 * HOUR, now - HOUR);
    const active = (await created({ matchers: [{ field: 'tag', value: 'a' }], endsAt: now + HOUR }, listed.apiKey)).id;
    const pending = (
      await created(
        { matchers: [{ field: 'tag', value: 'b' }], startsAt: now + HOUR, endsAt: now + 2 * HOUR },
        listed.apiKey,
      )
    ).id;
    const ids = async (query: string) => {
      const res = await api(listed.apiKey, `/v1/silences${query}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { silences: SilenceView[] }).silences.map((s) => [s.id, s.state]);
    };
    expect(await ids('')).toEqual([[active, 'active']]);
    expect(await ids('?state=active')).toEqual([[active, 'active']]);
    expect(await ids('?state=pending')).toEqual([[pending, 'pending']]);
    expect(await ids('?state=expired')).toEqual([[expired, 'expired']]);
    expect((await ids('?state=all')).map(([id]) => id).sort()).toEqual([active, pending, expired].sort());
  });

  it('pages with nextCursor', async () => {
    const paged = await seedOrg();
    const made = [];
    for (let n = 0; n < 5; n++) made.push(await insertSilence(paged.orgId, Date.now() - n * HOUR, Date.now() + DAY));
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = await api(paged.apiKey, `/v1/silences?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const page = (await res.json()) as { silences: SilenceView[]; nextCursor: string | null };
      seen.push(...page.silences.map((s) => s.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(made);
  });

  it('refuses an unknown state with 400 naming state', async () => {
    const res = await api(org.apiKey, '/v1/silences?state=over');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'state' } });
  });
});

describe('GET /v1/silences/:id and DELETE /v1/silences/:id', () => {
  it('ends a silence now, keeping it: expired, an audit row, and a second end is a 409', async () => {
    const silence = await created({ matchers: [{ field: 'tag', value: 'x' }], endsAt: Date.now() + HOUR });
    const before = Date.now();
    const res = await asSession(member, `/v1/silences/${silence.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const ended = (await res.json()) as SilenceView;
    expect(ended).toMatchObject({ id: silence.id, startsAt: silence.startsAt, state: 'expired' });
    expect(ended.endsAt).toBeGreaterThanOrEqual(before);
    expect(await (await api(org.apiKey, `/v1/silences/${silence.id}`)).json()).toEqual(ended);
    const [audit] = (await auditRows(org.orgId, 'endSilence')).filter((r) => r.target_id === silence.id);
    expect(JSON.parse(audit!.changes as string)).toEqual({
      before: { startsAt: silence.startsAt, endsAt: silence.endsAt },
      after: { startsAt: silence.startsAt, endsAt: ended.endsAt },
    });

    const again = await api(org.apiKey, `/v1/silences/${silence.id}`, { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'silence_expired' } });
    expect((await auditRows(org.orgId, 'endSilence')).filter((r) => r.target_id === silence.id)).toHaveLength(1);
  });

  it('ends a pending silence by starting and ending it now', async () => {
    const startsAt = Date.now() + HOUR;
    const silence = await created({ matchers: [{ field: 'tag', value: 'x' }], startsAt, endsAt: startsAt + HOUR });
    const ended = (await (
      await api(org.apiKey, `/v1/silences/${silence.id}`, { method: 'DELETE' })
    ).json()) as SilenceView;
    expect(ended.state).toBe('expired');
    expect(ended.startsAt).toBe(ended.endsAt);
    expect(ended.endsAt).toBeLessThan(startsAt);
  });

  it('is refused to a viewer', async () => {
    const silence = await created({ matchers: [{ field: 'tag', value: 'x' }], endsAt: Date.now() + HOUR });
    expect((await asSession(viewer, `/v1/silences/${silence.id}`, { method: 'DELETE' })).status).toBe(403);
    expect((await asSession(viewer, `/v1/silences/${silence.id}`)).status).toBe(200);
  });

  it("answers 404 for another organisation's silence, and leaves it alone", async () => {
    const theirs = await created({ matchers: [{ field: 'tag', value: 'x' }], endsAt: Date.now() + HOUR }, other.apiKey);
    for (const method of ['GET', 'DELETE']) {
      const res = await api(org.apiKey, `/v1/silences/${theirs.id}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: `silence "${theirs.id}" not found` } });
    }
    expect(((await (await api(other.apiKey, `/v1/silences/${theirs.id}`)).json()) as SilenceView).state).toBe('active');
  });
});

describe('the silenced flag of incidents', () => {
  it('follows the active silences whose matchers all hold, and ends with them', async () => {
    const o = await seedOrg();
    const web = (await enroll(o, 'web')).deviceId;
    const db1 = (await enroll(o, 'db')).deviceId;
    const warnWeb = await insertIncident(o.orgId, web, { severity: 'warning', tags: ['prod'] });
    const critWeb = await insertIncident(o.orgId, web, { severity: 'critical', tags: ['prod'] });
    const warnDb = await insertIncident(o.orgId, db1, { severity: 'warning', tags: ['staging'] });
    const flags = async () => {
      const res = await api(o.apiKey, '/v1/incidents');
      const { incidents } = (await res.json()) as { incidents: IncidentView[] };
      return Object.fromEntries(incidents.map((i) => [i.id, i.silenced]));
    };
    expect(await flags()).toEqual({ [warnWeb]: false, [critWeb]: false, [warnDb]: false });

    const now = Date.now();
    // Every matcher must hold: web's warnings only.
    const webWarnings = await created(
      {
        matchers: [
          { field: 'device', value: web },
          { field: 'severity', value: 'warning' },
        ],
        endsAt: now + HOUR,
      },
      o.apiKey,
    );
    // Not started yet: silences nothing.
    await created(
      { matchers: [{ field: 'tag', value: 'staging' }], startsAt: now + HOUR, endsAt: now + 2 * HOUR },
      o.apiKey,
    );
    // Over: silences nothing.
    await insertSilence(o.orgId, now - 2 * HOUR, now - HOUR);
    expect(await flags()).toEqual({ [warnWeb]: true, [critWeb]: false, [warnDb]: false });
    expect(((await (await api(o.apiKey, `/v1/incidents/${warnWeb}`)).json()) as IncidentView).silenced).toBe(true);

    const staging = await created({ matchers: [{ field: 'tag', value: 'staging' }], endsAt: now + HOUR }, o.apiKey);
    expect(await flags()).toEqual({ [warnWeb]: true, [critWeb]: false, [warnDb]: true });

    for (const s of [webWarnings, staging]) {
      expect((await api(o.apiKey, `/v1/silences/${s.id}`, { method: 'DELETE' })).status).toBe(200);
    }
    expect(await flags()).toEqual({ [warnWeb]: false, [critWeb]: false, [warnDb]: false });
  });
});
