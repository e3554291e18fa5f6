import { env } from 'cloudflare:test';
import type { DeliverMessage } from '../../workers/src/services/notify/deliver.ts';
import { json } from './alert-helpers.ts';
import { api, type TestOrg } from './helpers.ts';
import { insertIncident, insertRule } from './incident-fixtures.ts';
import { RECEIVER, type Received } from './notify-outbound.ts';

/** Helpers of the webhook tests: channels, the stub receiver's log, captured queue sends, incidents. */

export { json };

/** A fresh key under which the stub receiver logs what it gets, so files running at once never mix. */
export const newKey = () => crypto.randomUUID().slice(0, 8);

/** A URL of the stub receiver, e.g. `receiverUrl(key, 'flaky/3')`. */
export const receiverUrl = (key: string, behaviour = 'ok') => `${RECEIVER}/${key}/${behaviour}`;

/** What the stub receiver got under `key`, oldest first. */
export async function received(key: string): Promise<Received[]> {
  return (await fetch(`${RECEIVER}/__log/${key}`)).json();
}

export interface Channel {
  id: string;
  secret: string;
  secretPrefix: string;
  [k: string]: unknown;
}

export async function createChannel(org: TestOrg, body: Record<string, unknown>): Promise<Channel> {
  const res = await api(org.apiKey, '/v1/webhooks', json('POST', { name: 'test channel', ...body }));
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * An env whose queues record what is sent instead of sending it, so a test drives each retry
 * itself, and whose settings are `vars` over the test defaults.
 */
export function capturingEnv(vars: Record<string, string> = {}) {
  const sent: { body: DeliverMessage; delaySeconds: number | undefined }[] = [];
  const dead: unknown[] = [];
  const queue = (into: (body: unknown, delaySeconds?: number) => void) =>
    ({
      send: async (body: unknown, options?: { delaySeconds?: number }) => into(body, options?.delaySeconds),
      sendBatch: async (messages: { body: unknown; delaySeconds?: number }[]) => {
        for (const m of messages) into(m.body, m.delaySeconds);
      },
    }) as unknown as Queue;
  const testEnv = {
    ...env,
    ...vars,
    ALERTS_QUEUE: queue((body, delaySeconds) => sent.push({ body: body as DeliverMessage, delaySeconds })),
    ALERTS_DLQ: queue((body) => dead.push(body)),
  } as Env;
  return { env: testEnv, sent, dead };
}

/** A webhook row's delivery rows, oldest first. */
export async function deliveriesOf(webhookId: string) {
  const { results } = await env.DB.prepare('SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY created_at, id')
    .bind(webhookId)
    .all<{
      id: string;
      state: string;
      attempts: number;
      body: string;
      event_type: string;
      next_attempt_at: number | null;
    }>();
  return results;
}

export async function attemptsOf(deliveryId: string) {
  const { results } = await env.DB.prepare('SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt')
    .bind(deliveryId)
    .all<{ attempt: number; status: number | null; error: string | null; response_excerpt: string | null }>();
  return results;
}

export interface IncidentSeed {
  deviceId: string;
  ruleId?: string | null;
  siteId?: string | null;
  severity?: 'warning' | 'critical';
  state?: 'pending' | 'firing' | 'resolved';
  tags?: string[];
  ruleName?: string;
}

/** An incident row straight in D1, as the DeviceHub would write it: disk at 95.5 %, over a 90 % line. */
export function seedIncident(orgId: string, s: IncidentSeed): Promise<string> {
  const now = Date.now();
  const severity = s.severity ?? 'critical';
  return insertIncident(orgId, s.deviceId, {
    ruleId: s.ruleId ?? null,
    ruleName: s.ruleName ?? 'Disk almost full',
    siteId: s.siteId ?? null,
    tags: s.tags ?? [],
    seriesId: 's_disk',
    state: s.state ?? 'firing',
    severity,
    peakSeverity: severity,
    value: 95.5,
    threshold: 90,
    summary: 'disk_used_percent{mount="/"} is 95.5, above 90',
    startedAt: now - 60_000,
    firedAt: now,
    resolvedAt: null,
    updatedAt: now,
  });
}

/** An alert rule row, for incidents and filters that name one. */
export const seedRule = (orgId: string): Promise<string> =>
  insertRule(orgId, { condition: { kind: 'threshold', op: '>', critical: { value: 90 } } });
