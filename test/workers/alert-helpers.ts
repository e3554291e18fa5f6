import { env, runInDurableObject } from 'cloudflare:test';
import { expect, vi } from 'vitest';
import type { AlertNotifyMessage } from '../../schema/wire/alerts.ts';
import type { StreamEvent } from '../../schema/wire/stream.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, ingest, type TestOrg } from './helpers.ts';
import { tableExists } from '../../workers/src/objects/device-hub/lazy-tables.ts';

/** Helpers of the alert tests: rules through the API, incidents and events as stored, queued notifications. */

export const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export async function createRule(
  org: TestOrg,
  body: Record<string, unknown>,
): Promise<{ id: string; version: number }> {
  const res = await api(org.apiKey, '/v1/alert-rules', json('POST', body));
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as { id: string; version: number };
}

let batches = 0;
/** Sends one batch of samples of `metric` (labels optional) at the given times. */
export async function send(
  deviceToken: string,
  metric: string,
  points: [ts: number, value: number][],
  labels?: Record<string, string>,
): Promise<void> {
  const res = await ingest(deviceToken, {
    batchId: `alert-${Date.now()}-${batches++}`,
    samples: points.map(([ts, value]) => ({ metric, ts, value, ...(labels ? { labels } : {}) })),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

export interface IncidentRow {
  id: string;
  rule_id: string | null;
  rule_name: string;
  device_id: string;
  series_id: string;
  state: string;
  severity: string;
  peak_severity: string;
  value: number | null;
  threshold: number | null;
  summary: string;
  started_at: number;
  fired_at: number | null;
  resolved_at: number | null;
  notifications: number;
  last_notified_at: number | null;
}

export async function incidentsOf(deviceId: string): Promise<IncidentRow[]> {
  const { results } = await env.DB.prepare('SELECT * FROM incidents WHERE device_id = ? ORDER BY started_at, id')
    .bind(deviceId)
    .all<IncidentRow>();
  return results;
}

/** The device's alert events from the events API, oldest first. */
export async function alertEvents(org: TestOrg, deviceId: string): Promise<StreamEvent[]> {
  const res = await api(org.apiKey, `/v1/events?subject=org.${org.orgId}.site.*.device.${deviceId}.event.*&limit=1000`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: StreamEvent[] }).events.filter((e) => e.type.startsWith('alert.'));
}

/** Short form of alert events: `alert.firing/escalated:critical`. */
export const eventBrief = (events: StreamEvent[]) =>
  events.map((e) => `${e.type}/${String(e.data.transition)}:${String(e.data.severity)}`);

/**
 * Watches ALERTS_QUEUE: the binding is one object for the test and the Durable Objects, so a spy
 * on its `send` sees what the DeviceHubs queue (and still sends it).
 */
export function watchQueue() {
  const spy = vi.spyOn(env.ALERTS_QUEUE, 'send');
  return {
    spy,
    notifications: (incidentId?: string) =>
      spy.mock.calls
        .map(([body]) => body as AlertNotifyMessage)
        .filter((m) => m.type === 'alert.notify' && (incidentId === undefined || m.incidentId === incidentId)),
  };
}

/** Runs the device's alarm handler now (as the runtime would at its time). */
export async function runAlarm(deviceId: string): Promise<void> {
  await runInDurableObject(deviceHubFor(env, deviceId), (hub) => hub.alarm());
}

/**
 * Moves the hub's clock-based marks into the past by `byMs`, as if that much time had gone by:
 * the device's last batch, and the last notification of open incidents. The hub then reads its
 * states again from storage, as after an eviction.
 */
export async function backdate(deviceId: string, byMs: number): Promise<void> {
  await runInDurableObject(deviceHubFor(env, deviceId), (hub, state) => {
    const sql = state.storage.sql;
    const seen = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'seen'").toArray()[0];
    if (seen) {
      const s = JSON.parse(seen.value) as { lastSeenAt: number };
      sql.exec(
        "UPDATE meta SET value = ? WHERE key = 'seen'",
        JSON.stringify({ ...s, lastSeenAt: s.lastSeenAt - byMs }),
      );
    }
    sql.exec('UPDATE batches SET received_at = received_at - ?', byMs);
    // The hub creates alert_state at its first state (lazy-tables.ts).
    if (tableExists(sql, 'alert_state'))
      sql.exec(
        `UPDATE alert_state SET state = json_set(state, '$.incident.lastNotifiedAt', json_extract(state, '$.incident.lastNotifiedAt') - ?)
       WHERE json_extract(state, '$.incident.lastNotifiedAt') IS NOT NULL`,
        byMs,
      );
    // As after an eviction: states come back from storage.
    (hub as unknown as { alerts: { states: unknown } }).alerts.states = undefined;
  });
}

/** The outbox of the device's hub: items not yet delivered, with their stage. */
export async function outbox(deviceId: string): Promise<{ stage: number; type: string }[]> {
  return runInDurableObject(deviceHubFor(env, deviceId), (_hub, state) =>
    tableExists(state.storage.sql, 'alert_outbox')
      ? state.storage.sql
          .exec<{ stage: number; item: string }>('SELECT stage, item FROM alert_outbox ORDER BY seq')
          .toArray()
          .map((r) => ({ stage: r.stage, type: (JSON.parse(r.item) as { type: string }).type }))
      : [],
  );
}
