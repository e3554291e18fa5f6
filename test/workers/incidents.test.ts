import { beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../schema/wire/alerts.ts';
import { api, enroll, seedOrg, seedUser, type TestOrg } from './helpers.ts';
import { asSession, signIn } from './account-helpers.ts';
import { insertIncident, insertRule, insertSite } from './incident-fixtures.ts';

const MIN = 60_000;
const base = Date.now() - 60 * MIN;

let org: TestOrg;
let other: TestOrg;
let web: string;
let db1: string;
let theirs: string;
let ruleA: string;
let ruleB: string;
let site: string;
const ids: Record<string, string> = {};

interface Page {
  incidents: IncidentView[];
  nextCursor: string | null;
}
async function list(query: string, key = org.apiKey): Promise<Page> {
  const res = await api(key, `/v1/incidents${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}
const idsOf = (p: Page) => p.incidents.map((i) => i.id);

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  web = (await enroll(org, 'web-1')).deviceId;
  db1 = (await enroll(org, 'db-1')).deviceId;
  const elsewhere = (await enroll(other, 'elsewhere')).deviceId;
  ruleA = await insertRule(org.orgId, { name: 'Disk' });
  ruleB = await insertRule(org.orgId, { name: 'Load' });
  site = await insertSite(org.orgId);
  // Started one minute apart, oldest first.
  const at = (n: number) => base + n * MIN;
  ids.resolved = await insertIncident(org.orgId, web, { ruleId: ruleA, state: 'resolved', startedAt: at(0) });
  ids.pending = await insertIncident(org.orgId, web, { ruleId: ruleA, state: 'pending', startedAt: at(1) });
  ids.warning = await insertIncident(org.orgId, db1, {
    ruleId: ruleB,
    severity: 'warning',
    peakSeverity: 'warning',
    siteId: site,
    startedAt: at(2),
  });
  ids.acked = await insertIncident(org.orgId, db1, {
    ruleId: ruleB,
    startedAt: at(3),
    acknowledgedAt: at(4),
    ackNote: 'on it',
  });
  ids.critical = await insertIncident(org.orgId, web, { ruleId: ruleA, startedAt: at(5) });
  theirs = await insertIncident(other.orgId, elsewhere, { startedAt: at(6) });
});

describe('GET /v1/incidents', () => {
  it('lists open incidents (pending and firing) newest first by default, with the view the API documents', async () => {
    const page = await list('');
    expect(idsOf(page)).toEqual([ids.critical, ids.acked, ids.warning, ids.pending]);
    expect(page.nextCursor).toBeNull();
    expect(page.incidents[0]).toEqual({
      id: ids.critical,
      ruleId: ruleA,
      ruleName: 'Disk almost full',
      deviceId: web,
      siteId: null,
      tags: [],
      seriesId: 's_0123456789abcdef01234567',
      metric: 'disk_used_percent',
      labels: { mount: '/' },
      state: 'firing',
      severity: 'critical',
      peakSeverity: 'critical',
      value: 97,
      threshold: 95,
      summary: 'disk_used_percent{mount="/"} is 97 (> 95)',
      startedAt: base + 5 * MIN,
      firedAt: base + 5 * MIN + 1000,
      resolvedAt: null,
      acknowledged: null,
      silenced: false,
    });
    expect(page.incidents[1]!.acknowledged).toEqual({ at: base + 4 * MIN, by: null, note: 'on it' });
  });

  it.each([
    ['?state=resolved', ['resolved']],
    ['?state=pending,resolved', ['pending', 'resolved']],
    ['?state=pending&state=resolved', ['pending', 'resolved']],
    ['?state=open', ['critical', 'acked', 'warning', 'pending']],
    ['?state=all', ['critical', 'acked', 'warning', 'pending', 'resolved']],
    ['?severity=warning', ['warning']],
    ['?state=all&severity=critical', ['critical', 'acked', 'pending', 'resolved']],
    ['?deviceId=DB', ['acked', 'warning']],
    ['?ruleId=RULE_A&state=all', ['critical', 'pending', 'resolved']],
    ['?siteId=SITE', ['warning']],
    ['?acknowledged=true', ['acked']],
    ['?acknowledged=false', ['critical', 'warning', 'pending']],
    ['?state=all&from=FROM2&to=TO4', ['acked', 'warning']],
  ])('filters %s', async (query, expected) => {
    const q = query
      .replace('DB', db1)
      .replace('RULE_A', ruleA)
      .replace('SITE', site)
      .replace('FROM2', String(base + 2 * MIN))
      .replace('TO4', String(base + 4 * MIN));
    expect(idsOf(await list(q))).toEqual(expected.map((k) => ids[k]));
  });

  it('pages newest first with nextCursor, without gaps or repeats, ties broken by id', async () => {
    const paged = await seedOrg();
    const device = (await enroll(paged, 'pager')).deviceId;
    const made: { id: string; startedAt: number }[] = [];
    for (let n = 0; n < 7; n++) {
      // Pairs share a start time, so the order needs the id too.
      const startedAt = base + Math.floor(n / 2) * MIN;
      made.push({ id: await insertIncident(paged.orgId, device, { startedAt }), startedAt });
    }
    const expected = made.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1)).map((m) => m.id);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`, paged.apiKey);
      seen.push(...idsOf(page));
      sizes.push(page.incidents.length);
      cursor = page.nextCursor;
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(expected);
  });

  it.each([
    ['?state=closed', 'state'],
    ['?state=pending,,firing', 'state'],
    ['?state=firing&state=bogus', 'state'],
    ['?severity=fatal', 'severity'],
    ['?acknowledged=yes', 'acknowledged'],
    ['?deviceId=', 'deviceId'],
    ['?from=2026-11-22&to=2026-11-21', 'from'],
    ['?cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['?limit=501', 'limit'],
    ['?unknown=1', 'unknown'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const res = await api(org.apiKey, `/v1/incidents${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field } });
  });

  it("never shows another organisation's incidents", async () => {
    expect(idsOf(await list('?state=all'))).not.toContain(theirs);
    expect(idsOf(await list('?state=all', other.apiKey))).toEqual([theirs]);
  });

  it('is readable by a viewer and refused to a key without read', async () => {
    await seedUser(org.orgId, `viewer-${org.orgId}@example.com`, 'viewer-password-1', 'viewer');
    const cookie = await signIn(`viewer-${org.orgId}@example.com`, 'viewer-password-1');
    const viewed = await asSession(cookie, '/v1/incidents');
    expect(viewed.status).toBe(200);
    expect((await api((await seedOrg(['write'])).apiKey, '/v1/incidents')).status).toBe(403);
  });
});

describe('GET /v1/incidents/:id', () => {
  it('answers one incident of the org', async () => {
    const res = await api(org.apiKey, `/v1/incidents/${ids.warning}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: ids.warning, severity: 'warning', siteId: site, state: 'firing' });
  });

  it("answers 404 for another organisation's incident and for none, 400 for a blank id", async () => {
    for (const id of [theirs, 'inc_missing']) {
      const res = await api(org.apiKey, `/v1/incidents/${id}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: `incident "${id}" not found` } });
    }
    const blank = await api(org.apiKey, '/v1/incidents/%20');
    expect(blank.status).toBe(400);
    expect(await blank.json()).toMatchObject({ error: { field: 'id' } });
  });
});
