import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import type { AlertNotifyMessage } from '../../schema/wire/alerts.ts';
import { app } from '../../workers/src/app.ts';
import { db, schema } from '../../workers/src/db.ts';
import { newId } from '../../workers/src/services/credentials/crypto.ts';

/**
 * Incidents are created by the DeviceHub's evaluation; these tests of the API write their rows
 * (and the rules they name) straight into D1, for devices enrolled through the real endpoint.
 */

type IncidentRow = typeof schema.incidents.$inferInsert;
type RuleRow = typeof schema.alertRules.$inferInsert;

/** Inserts an alert rule of the org; returns its id. */
export async function insertRule(orgId: string, overrides: Partial<RuleRow> = {}): Promise<string> {
  const now = Date.now();
  const row: RuleRow = {
    id: newId('rul'),
    orgId,
    name: 'Disk almost full',
    scopeKind: 'org',
    scopeValue: null,
    metric: 'disk_used_percent',
    matchers: [],
    condition: { kind: 'threshold', op: '>', critical: { value: 95 } },
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await db(env.DB).insert(schema.alertRules).values(row);
  return row.id;
}

/** Inserts an incident (firing, critical, unacknowledged unless overridden); returns its id. */
export async function insertIncident(
  orgId: string,
  deviceId: string,
  overrides: Partial<IncidentRow> = {},
): Promise<string> {
  const startedAt = overrides.startedAt ?? Date.now() - 60_000;
  const state = overrides.state ?? 'firing';
  const row: IncidentRow = {
    id: newId('inc'),
    orgId,
    ruleId: null,
    ruleName: 'Disk almost full',
    deviceId,
    siteId: null,
    tags: [],
    seriesId: 's_0123456789abcdef01234567',
    metric: 'disk_used_percent',
    labels: { mount: '/' },
    state,
    severity: 'critical',
    peakSeverity: 'critical',
    value: 97,
    threshold: 95,
    summary: 'disk_used_percent{mount="/"} is 97 (> 95)',
    startedAt,
    firedAt: state === 'pending' ? null : startedAt + 1000,
    resolvedAt: state === 'resolved' ? startedAt + 2000 : null,
    updatedAt: startedAt,
    ...overrides,
  };
  await db(env.DB).insert(schema.incidents).values(row);
  return row.id;
}

/** Inserts a site of the org; returns its id. */
export async function insertSite(orgId: string): Promise<string> {
  const id = newId('site');
  await db(env.DB).insert(schema.sites).values({ id, orgId, name: id, createdAt: Date.now() });
  return id;
}

/**
 * The real app, with ALERTS_QUEUE wrapped so the test sees what was queued (each message still
 * goes to the real queue).
 */
export function recordingApp() {
  const sent: AlertNotifyMessage[] = [];
  const queue = {
    send: async (body: AlertNotifyMessage, options?: QueueSendOptions) => {
      sent.push(body);
      await env.ALERTS_QUEUE.send(body, options);
    },
    sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) =>
      env.ALERTS_QUEUE.sendBatch(messages, options),
  };
  const fetch = async (path: string, init: RequestInit = {}) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`http://test${path}`, init), { ...env, ALERTS_QUEUE: queue }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  return { sent, fetch };
}

/** A JSON request with a bearer API key. */
export const withKey = (apiKey: string, method: string, body?: unknown): RequestInit => ({
  method,
  headers: {
    authorization: `Bearer ${apiKey}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

/** A JSON request signed in by cookie, from the platform's own origin. */
export const withCookie = (cookie: string, method: string, body?: unknown): RequestInit => ({
  method,
  headers: {
    cookie,
    origin: 'http://test',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
