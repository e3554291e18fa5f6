import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import {
  alertEvents,
  backdate,
  createRule,
  eventBrief,
  incidentsOf,
  json,
  outbox,
  runAlarm,
  send,
  watchQueue,
} from './alert-helpers.ts';
import { api, enroll, seedOrg, type TestOrg } from './helpers.ts';

/**
 * Alert evaluation in the DeviceHub, end to end through the real ingest route, D1 and the
 * object's alarm: incident rows, alert events and queued notifications are what is asserted.
 * Samples are stamped from a second ahead of now, so the object's own alarm (which sees the
 * wall clock) cannot run a duration out behind the test's back.
 */

const S = 1000;
let T: number;
const at = (seconds: number) => T + seconds * S;

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };
let queue: ReturnType<typeof watchQueue>;

beforeEach(async () => {
  T = Date.now() + S;
  org = await seedOrg();
  device = await enroll(org, `host-${crypto.randomUUID().slice(0, 8)}`);
  queue = watchQueue();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const threshold = (extra: Record<string, unknown> = {}, condition: Record<string, unknown> = {}) => ({
  name: 'CPU hot',
  scope: { kind: 'device', value: device.deviceId },
  metric: 'cpu_usage_percent',
  condition: { kind: 'threshold', op: '>', warning: { value: 80 }, ...condition },
  ...extra,
});
const transitions = (incidentId?: string) =>
  queue.notifications(incidentId).map((m) => `${m.transition}${m.repeat ? ' (repeat)' : ''}`);

describe('threshold rules in the DeviceHub', () => {
  it('goes pending, fires only once the condition held for `for`, and resolves; state survives an eviction', async () => {
    const rule = await createRule(org, threshold({ forMs: 30_000 }));
    await send(device.deviceToken, 'cpu_usage_percent', [
      [at(0), 85],
      [at(10), 86],
      [at(20), 87],
    ]);
    let [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({ state: 'pending', severity: 'warning', fired_at: null, started_at: at(0) });
    expect(transitions()).toEqual([]);

    await backdate(device.deviceId, 0); // the object forgets its memory, as after an eviction
    await send(device.deviceToken, 'cpu_usage_percent', [[at(30), 88]]);
    [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({ state: 'firing', fired_at: at(30), value: 87, threshold: 80, notifications: 1 });
    expect(transitions(incident!.id)).toEqual(['firing']);

    await send(device.deviceToken, 'cpu_usage_percent', [[at(40), 50]]);
    [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({ state: 'resolved', resolved_at: at(40) });
    expect(transitions(incident!.id)).toEqual(['firing', 'resolved']);

    const events = await alertEvents(org, device.deviceId);
    expect(eventBrief(events)).toEqual([
      'alert.pending/pending:warning',
      'alert.firing/firing:warning',
      'alert.resolved/resolved:warning',
    ]);
    expect(events[1]).toMatchObject({
      subject: `org.${org.orgId}.site._.device.${device.deviceId}.event.alert_firing`,
      ts: at(30),
      correlationId: incident!.id,
      data: {
        incidentId: incident!.id,
        ruleId: rule.id,
        ruleName: 'CPU hot',
        deviceId: device.deviceId,
        seriesId: incident!.series_id,
        metric: 'cpu_usage_percent',
        labels: {},
        severity: 'warning',
        value: 87,
        threshold: 80,
        summary: 'CPU hot: cpu_usage_percent{} is 87 (> 80, warning)',
      },
    });
  });

  it('resolves a pending incident that clears before `for` as never fired, and notifies no one', async () => {
    await createRule(org, threshold({ forMs: 60_000 }));
    await send(device.deviceToken, 'cpu_usage_percent', [
      [at(0), 85],
      [at(10), 50],
    ]);
    const [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({ state: 'resolved', fired_at: null, notifications: 0 });
    const events = await alertEvents(org, device.deviceId);
    expect(eventBrief(events)).toEqual(['alert.pending/pending:warning', 'alert.resolved/resolved:warning']);
    expect(events[1]!.data.neverFired).toBe(true);
    expect(queue.notifications()).toEqual([]);
  });

  it('holds one incident through values between clear and value (hysteresis)', async () => {
    await createRule(org, threshold({}, { warning: { value: 80, clear: 70 } }));
    await send(device.deviceToken, 'cpu_usage_percent', [
      [at(0), 85],
      [at(1), 75],
      [at(2), 79],
      [at(3), 71],
    ]);
    expect((await incidentsOf(device.deviceId)).map((i) => i.state)).toEqual(['firing']);
    await send(device.deviceToken, 'cpu_usage_percent', [
      [at(4), 69],
      [at(5), 79],
      [at(6), 75],
    ]);
    const incidents = await incidentsOf(device.deviceId);
    expect(incidents.map((i) => [i.state, i.resolved_at])).toEqual([['resolved', at(4)]]);
    expect(transitions()).toEqual(['firing', 'resolved']);
  });

  it('escalates warning → critical and back within one incident, notifying each change', async () => {
    await createRule(org, {
      ...threshold(),
      condition: { kind: 'threshold', op: '>', warning: { value: 80, clear: 70 }, critical: { value: 90, clear: 85 } },
    });
    for (const [t, v] of [
      [0, 82],
      [1, 91],
      [2, 84],
      [3, 60],
    ] as const) {
      await send(device.deviceToken, 'cpu_usage_percent', [[at(t), v]]);
    }
    const [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({
      state: 'resolved',
      severity: 'warning',
      peak_severity: 'critical',
      notifications: 4,
    });
    expect(eventBrief(await alertEvents(org, device.deviceId))).toEqual([
      'alert.firing/firing:warning',
      'alert.firing/escalated:critical',
      'alert.firing/deescalated:warning',
      'alert.resolved/resolved:warning',
    ]);
    expect(transitions(incident!.id)).toEqual(['firing', 'escalated', 'deescalated', 'resolved']);
  });

  it('opens one incident when batches of the same series arrive at once', async () => {
    await createRule(org, threshold());
    await send(device.deviceToken, 'cpu_usage_percent', [[at(0), 10]]);
    await Promise.all([1, 2, 3, 4].map((t) => send(device.deviceToken, 'cpu_usage_percent', [[at(t), 90 + t]])));
    expect((await incidentsOf(device.deviceId)).map((i) => i.state)).toEqual(['firing']);
    expect(transitions()).toEqual(['firing']);
  });

  it('watches only the series its metric and label matchers select', async () => {
    await createRule(org, {
      name: 'Root disk',
      scope: { kind: 'org' },
      metric: 'disk_used_percent',
      matchers: [{ label: 'mount', op: '=~', value: '/|/boot' }],
      condition: { kind: 'threshold', op: '>=', critical: { value: 95 } },
    });
    await send(device.deviceToken, 'disk_used_percent', [[at(0), 99]], { mount: '/data' });
    await send(device.deviceToken, 'disk_used_percent', [[at(0), 96]], { mount: '/boot' });
    const incidents = await incidentsOf(device.deviceId);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      severity: 'critical',
      value: 96,
      summary: 'Root disk: disk_used_percent{mount="/boot"} is 96 (>= 95, critical)',
    });
  });
});

describe('rate rules', () => {
  it('compares change per second over the window, and reads a drop of a *_total counter as a reset', async () => {
    await createRule(org, {
      name: 'Traffic spike',
      scope: { kind: 'org' },
      metric: 'net_rx_bytes_total',
      condition: { kind: 'rate', op: '>', warning: { value: 100 }, windowMs: 10_000 },
    });
    await send(device.deviceToken, 'net_rx_bytes_total', [
      [at(0), 1000],
      [at(5), 1200],
      [at(10), 2500],
    ]);
    let [incident] = await incidentsOf(device.deviceId);
    // Samples within the last 10 s of 10 s: 5 s and 10 s, (2500 − 1200) / 5 s.
    expect(incident).toMatchObject({ state: 'firing', value: 260, threshold: 100 });
    // The counter restarted: 100 counted from zero over 5 s is 20/s, not a fall of 480/s.
    await send(device.deviceToken, 'net_rx_bytes_total', [[at(15), 100]]);
    [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({ state: 'resolved', value: 20 });
  });
});

describe('absence, from the alarm', () => {
  it('fires no_data for a series silent past afterMs, and resolves on its next sample', async () => {
    await createRule(org, {
      name: 'Probe silent',
      scope: { kind: 'org' },
      metric: 'probe_up',
      condition: { kind: 'no_data', afterMs: 1_000 },
    });
    const last = Date.now() - 5_000;
    await send(device.deviceToken, 'probe_up', [[last, 1]]);
    await runAlarm(device.deviceId);
    let [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({
      state: 'firing',
      severity: 'warning',
      fired_at: last + 1_000,
      value: null,
      summary: 'Probe silent: no sample of probe_up{} for 1 s',
    });
    expect(transitions(incident!.id)).toEqual(['firing']);
    // Alarms run at least once: another run changes nothing.
    await runAlarm(device.deviceId);
    expect(await incidentsOf(device.deviceId)).toHaveLength(1);

    await send(device.deviceToken, 'probe_up', [[Date.now(), 1]]);
    [incident] = await incidentsOf(device.deviceId);
    expect(incident!.state).toBe('resolved');
    expect(eventBrief(await alertEvents(org, device.deviceId))).toEqual([
      'alert.firing/firing:warning',
      'alert.resolved/resolved:warning',
    ]);
  });

  it('fires offline (critical, device-level) after twice the observed batch interval by default', async () => {
    await createRule(org, { name: 'Offline', scope: { kind: 'org' }, condition: { kind: 'offline' } });
    for (let i = 0; i < 3; i++) await send(device.deviceToken, 'cpu_usage_percent', [[Date.now() + i, 1]]);
    // Three batches 10 s apart, the last one now: an observed interval of 10 s, so 20 s of silence.
    await runInDurableObject(deviceHubFor(env, device.deviceId), (_hub, state) => {
      const rows = state.storage.sql.exec<{ id: string }>('SELECT id FROM batches ORDER BY received_at DESC').toArray();
      // One clock reading: the clock may move between statements, which made the gaps 9,999 ms.
      const now = Date.now();
      rows.forEach((r, i) =>
        state.storage.sql.exec('UPDATE batches SET received_at = ? WHERE id = ?', now - i * 10_000, r.id),
      );
    });
    await backdate(device.deviceId, 15_000);
    await runAlarm(device.deviceId);
    expect(await incidentsOf(device.deviceId)).toEqual([]);

    await backdate(device.deviceId, 10_000);
    await runAlarm(device.deviceId);
    let [incident] = await incidentsOf(device.deviceId);
    expect(incident).toMatchObject({
      state: 'firing',
      severity: 'critical',
      series_id: '',
      summary: 'Offline: no batch from the device for 20 s',
    });
    await send(device.deviceToken, 'cpu_usage_percent', [[Date.now(), 1]]);
    [incident] = await incidentsOf(device.deviceId);
    expect(incident!.state).toBe('resolved');
    expect(transitions(incident!.id)).toEqual(['firing', 'resolved']);
  });
});

describe('repeat notifications', () => {
  it('repeats a firing incident every repeatIntervalMs until it is acknowledged', async () => {
    await createRule(org, threshold({ repeatIntervalMs: 60_000 }));
    await send(device.deviceToken, 'cpu_usage_percent', [[at(0), 90]]);
    const [incident] = await incidentsOf(device.deviceId);
    await runAlarm(device.deviceId);
    expect(transitions(incident!.id)).toEqual(['firing']);

    await backdate(device.deviceId, 61_000);
    await runAlarm(device.deviceId);
    expect(transitions(incident!.id)).toEqual(['firing', 'firing (repeat)']);
    expect((await incidentsOf(device.deviceId))[0]!.notifications).toBe(2);

    // Acknowledged (as POST /v1/incidents/:id/ack records it): no more repeats.
    await env.DB.prepare('UPDATE incidents SET acknowledged_at = ? WHERE id = ?').bind(Date.now(), incident!.id).run();
    await backdate(device.deviceId, 61_000);
    await runAlarm(device.deviceId);
    expect(transitions(incident!.id)).toEqual(['firing', 'firing (repeat)']);
    expect((await incidentsOf(device.deviceId))[0]!.notifications).toBe(2);
  });
});

describe('rule changes reach the DeviceHub', () => {
  it('evaluates a rule created after the hub cached its rules with the very next batch', async () => {
    await createRule(org, threshold({ name: 'first' }));
    await send(device.deviceToken, 'cpu_usage_percent', [[at(0), 10]]);
    await createRule(org, { ...threshold({ name: 'second' }), metric: 'load1' });
    await send(device.deviceToken, 'load1', [[at(1), 99]]);
    expect((await incidentsOf(device.deviceId)).map((i) => i.rule_name)).toEqual(['second']);
  });

  it('restarts the rule on a change of its condition, and keeps the incident on a rename', async () => {
    const rule = await createRule(org, threshold());
    await send(device.deviceToken, 'cpu_usage_percent', [[at(0), 85]]);
    const patch = (body: unknown) => api(org.apiKey, `/v1/alert-rules/${rule.id}`, json('PATCH', body));

    expect((await patch({ name: 'CPU very hot' })).status).toBe(200);
    await send(device.deviceToken, 'cpu_usage_percent', [[at(1), 86]]);
    expect((await incidentsOf(device.deviceId)).map((i) => i.state)).toEqual(['firing']);

    expect((await patch({ condition: { kind: 'threshold', op: '>', warning: { value: 90 } } })).status).toBe(200);
    let incidents = await incidentsOf(device.deviceId);
    expect(incidents.map((i) => i.state)).toEqual(['resolved']);
    const events = await alertEvents(org, device.deviceId);
    expect(events.find((e) => e.type === 'alert.resolved')!.data).toMatchObject({ reason: 'rule_changed' });

    await send(device.deviceToken, 'cpu_usage_percent', [[at(2), 86]]);
    expect(await incidentsOf(device.deviceId)).toHaveLength(1);
    await send(device.deviceToken, 'cpu_usage_percent', [[at(3), 95]]);
    incidents = await incidentsOf(device.deviceId);
    expect(incidents.map((i) => [i.state, i.rule_name, i.threshold])).toEqual([
      ['resolved', 'CPU hot', 80],
      ['firing', 'CPU very hot', 90],
    ]);
    // The hub wrote no second resolution of the first incident: the API had resolved it.
    expect(
      eventBrief(await alertEvents(org, device.deviceId)).filter((e) => e.startsWith('alert.resolved')),
    ).toHaveLength(1);
  });

  it('tells a device whose tags or site change at once, not at the TTL', async () => {
    await createRule(org, { ...threshold(), scope: { kind: 'tag', value: 'edge' } });
    // The device is not in the scope yet: its cached rules (loaded with this batch) leave the rule out.
    await send(device.deviceToken, 'cpu_usage_percent', [[at(0), 90]]);
    expect(await incidentsOf(device.deviceId)).toHaveLength(0);
    expect((await api(org.apiKey, `/v1/devices/${device.deviceId}`, json('PATCH', { tags: ['edge'] }))).status).toBe(
      200,
    );
    await send(device.deviceToken, 'cpu_usage_percent', [[at(1), 91]]);
    expect(await incidentsOf(device.deviceId)).toHaveLength(1);
  });

  it('follows a device into a tag scope, and picks up unannounced changes once its cache is past the TTL', async () => {
    expect((await api(org.apiKey, `/v1/devices/${device.deviceId}`, json('PATCH', { tags: ['edge'] }))).status).toBe(
      200,
    );
    await createRule(org, { ...threshold(), scope: { kind: 'tag', value: 'edge' } });
    await send(device.deviceToken, 'cpu_usage_percent', [[at(0), 90]]);
    expect(await incidentsOf(device.deviceId)).toHaveLength(1);

    // A rule written behind the API's back is not announced: only the TTL brings it in.
    await env.DB.prepare(
      `INSERT INTO alert_rules (id, org_id, name, enabled, scope_kind, scope_value, metric, matchers, condition, for_ms,
         keep_firing_for_ms, version, created_at, updated_at)
       VALUES ('alr_unannounced', ?, 'unannounced', 1, 'org', NULL, 'load1', '[]', ?, 0, 0, 1, ?, ?)`,
    )
      .bind(org.orgId, JSON.stringify({ kind: 'threshold', op: '>', warning: { value: 1 } }), Date.now(), Date.now())
      .run();
    await send(device.deviceToken, 'load1', [[at(1), 5]]);
    expect(await incidentsOf(device.deviceId)).toHaveLength(1);
    const hub = deviceHubFor(env, device.deviceId);
    await runInDurableObject(hub, (_h, state) =>
      state.storage.sql.exec("UPDATE meta SET value = json_set(value, '$.loadedAt', 0) WHERE key = 'alertRules'"),
    );
    await runInDurableObject(hub, (h) => {
      (h as unknown as { alerts: { rules: { set: unknown } } }).alerts.rules.set = undefined;
    });
    // The stale set still serves this batch while the reload runs behind it.
    await send(device.deviceToken, 'load1', [[at(2), 5]]);
    await vi.waitFor(async () => {
      const loadedAt = await runInDurableObject(
        hub,
        (_h, state) =>
          state.storage.sql
            .exec<{ v: number }>("SELECT value ->> '$.loadedAt' AS v FROM meta WHERE key = 'alertRules'")
            .one().v,
      );
      expect(loadedAt).toBeGreaterThan(0);
    });
    await send(device.deviceToken, 'load1', [[at(3), 5]]);
    expect((await incidentsOf(device.deviceId)).map((i) => i.rule_name)).toContain('unannounced');
  });
});

describe('the outbox', () => {
  it('keeps a transition whose notification could not be queued, and sends it from the alarm, once', async () => {
    await createRule(org, threshold());
    queue.spy.mockRejectedValueOnce(new Error('queue unavailable'));
    await send(device.deviceToken, 'cpu_usage_percent', [[at(0), 90]]);
    const [incident] = await incidentsOf(device.deviceId);
    // The incident and its event are recorded; the notification waits.
    expect(incident!.state).toBe('firing');
    expect(await outbox(device.deviceId)).toEqual([{ stage: 1, type: 'transition' }]);
    await runAlarm(device.deviceId);
    expect(await outbox(device.deviceId)).toEqual([]);
    expect(queue.spy).toHaveBeenCalledTimes(2);
    expect(eventBrief(await alertEvents(org, device.deviceId))).toEqual(['alert.firing/firing:warning']);
  });
});
