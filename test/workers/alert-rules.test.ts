import { env } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { alertEvents, createRule, eventBrief, incidentsOf, json, send, watchQueue } from './alert-helpers.ts';
import { api, enroll, seedOrg, type TestOrg } from './helpers.ts';

/** `/v1/alert-rules`: the rules API, its checks across fields, org isolation, and the preview. */

let org: TestOrg;
let other: TestOrg;
let device: { deviceId: string; deviceToken: string };
let otherDevice: { deviceId: string };
const SITE = `site_${crypto.randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  [org, other] = [await seedOrg(), await seedOrg()];
  device = await enroll(org, 'rules-host');
  otherDevice = await enroll(other, 'other-host');
  await env.DB.prepare('INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)')
    .bind(SITE, org.orgId, 'Plant', Date.now())
    .run();
  const moved = await api(
    org.apiKey,
    `/v1/devices/${device.deviceId}`,
    json('PATCH', { siteId: SITE, tags: ['edge'] }),
  );
  expect(moved.status).toBe(200);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const cpu = (extra: Record<string, unknown> = {}) => ({
  name: 'CPU hot',
  scope: { kind: 'org' },
  metric: 'cpu_usage_percent',
  condition: { kind: 'threshold', op: '>', warning: { value: 80 } },
  ...extra,
});
const ruleCount = async (o: TestOrg) =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM alert_rules WHERE org_id = ?').bind(o.orgId).first<{ n: number }>())!
    .n;
const audit = async (targetId: string) =>
  (
    await env.DB.prepare('SELECT action FROM audit_log WHERE target_id = ? ORDER BY ts, rowid')
      .bind(targetId)
      .all<{ action: string }>()
  ).results.map((r) => r.action);

describe('rules CRUD', () => {
  it('creates, reads, changes and deletes a rule, with an audit row for each write', async () => {
    const created = await createRule(org, cpu({ forMs: 60_000, repeatIntervalMs: 3_600_000 }));
    expect(created).toMatchObject({
      name: 'CPU hot',
      enabled: true,
      scope: { kind: 'org' },
      matchers: [],
      forMs: 60_000,
      keepFiringForMs: 0,
      repeatIntervalMs: 3_600_000,
      version: 1,
    });
    const got = await api(org.apiKey, `/v1/alert-rules/${created.id}`);
    expect(await got.json()).toEqual(created);

    const patched = await api(
      org.apiKey,
      `/v1/alert-rules/${created.id}`,
      json('PATCH', { name: 'Device silent', condition: { kind: 'offline', afterMs: 30_000 }, metric: null }),
    );
    expect(patched.status).toBe(200);
    const after = (await patched.json()) as Record<string, unknown>;
    expect(after).toMatchObject({
      name: 'Device silent',
      condition: { kind: 'offline', afterMs: 30_000 },
      forMs: 60_000,
      version: 2,
    });
    expect(after).not.toHaveProperty('metric');

    const deleted = await api(org.apiKey, `/v1/alert-rules/${created.id}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ id: created.id, resolvedIncidents: 0 });
    expect((await api(org.apiKey, `/v1/alert-rules/${created.id}`)).status).toBe(404);
    expect(await audit(created.id)).toEqual(['createAlertRule', 'updateAlertRule', 'deleteAlertRule']);
  });

  it('lists by name, filtered by the device a rule applies to, site, tag and enabled', async () => {
    const o = await seedOrg();
    const d = await enroll(o, 'filter-host');
    const site = `site_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare('INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)')
      .bind(site, o.orgId, 'S', 1)
      .run();
    await api(o.apiKey, `/v1/devices/${d.deviceId}`, json('PATCH', { siteId: site, tags: ['edge'] }));
    const elsewhere = await enroll(o, 'elsewhere');
    await createRule(o, cpu({ name: 'd-org' }));
    await createRule(o, cpu({ name: 'c-device', scope: { kind: 'device', value: d.deviceId } }));
    await createRule(o, cpu({ name: 'b-site', scope: { kind: 'site', value: site } }));
    await createRule(o, cpu({ name: 'a-tag', scope: { kind: 'tag', value: 'edge' }, enabled: false }));
    await createRule(o, cpu({ name: 'e-other', scope: { kind: 'device', value: elsewhere.deviceId } }));
    const names = async (query: string) =>
      ((await (await api(o.apiKey, `/v1/alert-rules${query}`)).json()) as { rules: { name: string }[] }).rules.map(
        (r) => r.name,
      );
    expect(await names('')).toEqual(['a-tag', 'b-site', 'c-device', 'd-org', 'e-other']);
    expect(await names(`?deviceId=${d.deviceId}`)).toEqual(['a-tag', 'b-site', 'c-device', 'd-org']);
    expect(await names(`?siteId=${site}`)).toEqual(['b-site']);
    expect(await names('?tag=edge')).toEqual(['a-tag']);
    expect(await names('?enabled=false')).toEqual(['a-tag']);
    expect(await names(`?deviceId=${d.deviceId}&enabled=true`)).toEqual(['b-site', 'c-device', 'd-org']);
  });

  it("answers 404 for another organisation's rule and leaves it as it was", async () => {
    const theirs = await createRule(other, cpu({ name: 'theirs' }));
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'mine now' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await api(org.apiKey, `/v1/alert-rules/${theirs.id}`, body ? json(method, body) : { method });
      expect(res.status, method).toBe(404);
      expect(await res.json()).toEqual({
        error: { code: 'not_found', message: `alert rule "${theirs.id}" not found` },
      });
    }
    const still = await api(other.apiKey, `/v1/alert-rules/${theirs.id}`);
    expect(await still.json()).toMatchObject({ name: 'theirs', version: 1 });
  });

  it('lets a read key list and get rules but not write them', async () => {
    const reader = await seedOrg(['read']);
    expect((await api(reader.apiKey, '/v1/alert-rules')).status).toBe(200);
    const res = await api(reader.apiKey, '/v1/alert-rules', json('POST', cpu()));
    expect(res.status).toBe(403);
  });
});

describe('checks across fields', () => {
  const level = (op: string, warning?: object, critical?: object) => ({
    condition: { kind: 'threshold', op, ...(warning ? { warning } : {}), ...(critical ? { critical } : {}) },
  });
  it.each([
    ['a threshold rule without a metric', { metric: undefined }, 'metric'],
    ['an offline rule with a metric', { condition: { kind: 'offline' } }, 'metric'],
    [
      'an offline rule with matchers',
      { metric: undefined, condition: { kind: 'offline' }, matchers: [{ label: 'a', op: '=', value: 'b' }] },
      'matchers',
    ],
    ['neither warning nor critical', level('>'), 'condition.warning'],
    ['a clear above value for >', level('>', { value: 80, clear: 90 }), 'condition.warning.clear'],
    ['a clear below value for <', level('<', undefined, { value: 10, clear: 5 }), 'condition.critical.clear'],
    ['critical not beyond warning for >', level('>', { value: 90 }, { value: 80 }), 'condition.critical.value'],
    ['critical not beyond warning for <=', level('<=', { value: 10 }, { value: 20 }), 'condition.critical.value'],
    ['a rate with no level', { condition: { kind: 'rate', op: '>', windowMs: 60_000 } }, 'condition.warning'],
    ['a device scope without a value', { scope: { kind: 'device' } }, 'scope.value'],
    ['an org scope with a value', { scope: { kind: 'org', value: 'x' } }, 'scope.value'],
    [
      "another organisation's device",
      () => ({ scope: { kind: 'device', value: otherDevice.deviceId } }),
      'scope.value',
    ],
    ['an unknown site', { scope: { kind: 'site', value: 'site_nope' } }, 'scope.value'],
    ['a regex that does not compile', { matchers: [{ label: 'mount', op: '=~', value: '(' }] }, 'matchers.0.value'],
    ['a lookahead (not RE2)', { matchers: [{ label: 'mount', op: '=~', value: '(?=/)' }] }, 'matchers.0.value'],
  ] as const)('refuses %s with 400 invalid_rule naming %s, storing nothing', async (_what, change, field) => {
    const before = await ruleCount(org);
    const body = { ...cpu(), ...(typeof change === 'function' ? change() : change) };
    const res = await api(org.apiKey, '/v1/alert-rules', json('POST', body));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_rule', field } });
    expect(await ruleCount(org)).toBe(before);
  });

  it('checks an update against the rule it makes, and leaves the rule unchanged when refused', async () => {
    const rule = await createRule(
      org,
      cpu({ condition: { kind: 'threshold', op: '>', warning: { value: 80, clear: 70 } } }),
    );
    const res = await api(org.apiKey, `/v1/alert-rules/${rule.id}`, json('PATCH', { metric: null }));
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_rule', field: 'metric' } });
    const blank = await api(org.apiKey, `/v1/alert-rules/${rule.id}`, json('PATCH', { name: '  ' }));
    expect(await blank.json()).toMatchObject({ error: { code: 'invalid_input', field: 'name' } });
    expect(await (await api(org.apiKey, `/v1/alert-rules/${rule.id}`)).json()).toMatchObject({
      version: 1,
      metric: 'cpu_usage_percent',
    });
  });
});

describe('a rule whose device was deleted', () => {
  it('can still be renamed and disabled, but not pointed at another missing device', async () => {
    const gone = await enroll(org, 'gone-host');
    const rule = await createRule(org, cpu({ scope: { kind: 'device', value: gone.deviceId } }));
    expect((await api(org.apiKey, `/v1/devices/${gone.deviceId}`, { method: 'DELETE' })).status).toBe(204);
    const renamed = await api(org.apiKey, `/v1/alert-rules/${rule.id}`, json('PATCH', { name: 'old', enabled: false }));
    expect(await renamed.json()).toMatchObject({ name: 'old', enabled: false, version: 2 });
    const moved = await api(
      org.apiKey,
      `/v1/alert-rules/${rule.id}`,
      json('PATCH', { scope: { kind: 'device', value: 'dev_missing' } }),
    );
    expect(await moved.json()).toMatchObject({ error: { code: 'invalid_rule', field: 'scope.value' } });
  });
});

describe('deleting a rule', () => {
  it('resolves its open incidents first (reason rule_deleted), notifies them, and the hub writes nothing more', async () => {
    const queue = watchQueue();
    const o = await seedOrg();
    const d = await enroll(o, 'delete-host');
    const rule = await createRule(o, cpu());
    await send(d.deviceToken, 'cpu_usage_percent', [[Date.now(), 90]]);
    const [incident] = await incidentsOf(d.deviceId);
    expect(incident!.state).toBe('firing');

    const res = await api(o.apiKey, `/v1/alert-rules/${rule.id}`, { method: 'DELETE' });
    expect(await res.json()).toEqual({ id: rule.id, resolvedIncidents: 1 });
    const [after] = await incidentsOf(d.deviceId);
    expect(after).toMatchObject({ state: 'resolved', rule_id: null, rule_name: 'CPU hot' });
    const events = await alertEvents(o, d.deviceId);
    expect(eventBrief(events)).toEqual(['alert.firing/firing:warning', 'alert.resolved/resolved:warning']);
    expect(events[1]!.data).toMatchObject({ reason: 'rule_deleted', incidentId: incident!.id });
    expect(queue.notifications(incident!.id).map((m) => m.transition)).toEqual(['firing', 'resolved']);

    await send(d.deviceToken, 'cpu_usage_percent', [[Date.now() + 1, 95]]);
    expect(await incidentsOf(d.deviceId)).toHaveLength(1);
    expect(await alertEvents(o, d.deviceId)).toHaveLength(2);
  });
});

describe('POST /v1/alert-rules/preview', () => {
  const MIN = 60_000;

  it('replays stored history with the live engine: the transitions live evaluation made, and nothing stored', async () => {
    const o = await seedOrg();
    const d = await enroll(o, 'preview-host');
    const rule = cpu({ scope: { kind: 'device', value: d.deviceId }, forMs: 5 * MIN });
    await createRule(o, rule);
    // Two hours of one sample a minute: hot from minute 30 to 49.
    const start = Date.now() - 120 * MIN;
    const points: [number, number][] = Array.from({ length: 120 }, (_, i) => [
      start + i * MIN,
      i >= 30 && i < 50 ? 90 : 50,
    ]);
    await send(d.deviceToken, 'cpu_usage_percent', points);
    const live = await incidentsOf(d.deviceId);
    expect(live.map((i) => [i.started_at, i.fired_at, i.resolved_at])).toEqual([
      [start + 30 * MIN, start + 35 * MIN, start + 50 * MIN],
    ]);
    const incidentsBefore = live.length;

    const res = await api(o.apiKey, '/v1/alert-rules/preview', json('POST', { ...rule, hours: 6 }));
    expect(res.status).toBe(200);
    const preview = (await res.json()) as {
      devices: number;
      series: number;
      samples: number;
      truncated: boolean;
      counts: Record<string, number>;
      transitions: { deviceId: string; transition: string; from: string; to: string; at: number; value: number }[];
    };
    expect(preview).toMatchObject({ devices: 1, series: 1, samples: 120, truncated: false });
    expect(preview.counts).toEqual({ pending: 1, firing: 1, escalated: 0, deescalated: 0, resolved: 1, incidents: 1 });
    expect(preview.transitions.map((t) => [t.transition, t.from, t.to, t.at])).toEqual([
      ['pending', 'normal', 'pending', start + 30 * MIN],
      ['firing', 'pending', 'firing', start + 35 * MIN],
      ['resolved', 'firing', 'normal', start + 50 * MIN],
    ]);
    expect(preview.transitions.every((t) => t.deviceId === d.deviceId)).toBe(true);
    expect(await incidentsOf(d.deviceId)).toHaveLength(incidentsBefore);

    // A shorter look back sees only the end of the episode.
    const recent = await api(o.apiKey, '/v1/alert-rules/preview', json('POST', { ...rule, hours: 1 }));
    expect(((await recent.json()) as { counts: Record<string, number> }).counts).toMatchObject({
      pending: 0,
      firing: 0,
      resolved: 0,
    });
  });

  it('narrows to deviceId, and refuses one the scope does not cover', async () => {
    const res = await api(
      org.apiKey,
      '/v1/alert-rules/preview',
      json('POST', { ...cpu({ scope: { kind: 'tag', value: 'no-such-tag' } }), deviceId: device.deviceId }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_rule', field: 'deviceId' } });
    const ok = await api(
      org.apiKey,
      '/v1/alert-rules/preview',
      json('POST', { ...cpu({ scope: { kind: 'site', value: SITE } }), deviceId: device.deviceId, hours: 48 }),
    );
    expect(await ok.json()).toMatchObject({ devices: 1, series: 0, transitions: [] });
  });
});
