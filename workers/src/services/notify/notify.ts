import { and, eq, gt } from 'drizzle-orm';
import type { AlertNotifyMessage, WebhookFilters } from '../../../../schema/wire/alerts.ts';
import { db, schema } from '../../db.ts';
import { settings } from '../../settings.ts';
import { isSilenced, type SilenceTarget } from '../alerts/silences.ts';
import { sha256Hex } from '../credentials/crypto.ts';
import { log } from '../log.ts';
import { mapLimit } from '../map-limit.ts';
import { runDelivery, type RunOptions, type RunResult } from './deliver.ts';
import { incidentView } from '../incidents/views.ts';
import { recordHostNotices } from './host-notices.ts';
import { alertBody, alertEventType, type UrlChannelKind } from './payloads.ts';

/** Channels of one notification attempted at once. */
const PARALLEL_CHANNELS = 6;

type IncidentRow = typeof schema.incidents.$inferSelect;

/** Whether a channel's filters let an incident through: every filter given must hold. */
export function passesFilters(
  f: WebhookFilters,
  i: Pick<IncidentRow, 'severity' | 'ruleId' | 'siteId' | 'deviceId' | 'tags'>,
): boolean {
  return (
    (!f.severities || f.severities.includes(i.severity)) &&
    (!f.ruleIds || (i.ruleId !== null && f.ruleIds.includes(i.ruleId))) &&
    (!f.siteIds || (i.siteId !== null && f.siteIds.includes(i.siteId))) &&
    (!f.deviceIds || f.deviceIds.includes(i.deviceId)) &&
    (!f.tags || f.tags.some((t) => i.tags.includes(t)))
  );
}

/**
 * The delivery id (and so the `webhook-id`) of one notification to one channel, derived from the
 * transition it reports: a duplicate `alert.notify` (queues deliver at least once) finds its
 * deliveries already there instead of sending the notification twice.
 */
async function deliveryIdFor(msg: AlertNotifyMessage, webhookId: string): Promise<string> {
  const key = [msg.orgId, msg.incidentId, msg.transition, msg.repeat, msg.at, webhookId].join('|');
  return `dlv_${(await sha256Hex(key)).slice(0, 24)}`;
}

/**
 * Handles `alert.notify`: loads the incident, the org's enabled channels and active silences; a
 * silenced incident notifies no one and records nothing (a log line says which). Each channel
 * whose filters pass gets one delivery row with its body, and its first attempt is made here and
 * now, so a threshold crossing reaches its receivers without a second trip through the queue;
 * retries go through the queue (deliver.ts). Host channels instead lead to a notice for each
 * device they target (host-notices.ts). Answers what became of each delivery.
 */
export async function handleAlertNotify(
  env: Env,
  msg: AlertNotifyMessage,
  options: RunOptions = {},
): Promise<Record<string, RunResult>> {
  const d = db(env.DB);
  const now = Date.now();
  const [incident, channels, silences] = await Promise.all([
    d
      .select()
      .from(schema.incidents)
      .where(and(eq(schema.incidents.id, msg.incidentId), eq(schema.incidents.orgId, msg.orgId)))
      .get(),
    d
      .select()
      .from(schema.webhooks)
      .where(and(eq(schema.webhooks.orgId, msg.orgId), eq(schema.webhooks.enabled, true)))
      .all(),
    d
      .select()
      .from(schema.silences)
      .where(and(eq(schema.silences.orgId, msg.orgId), gt(schema.silences.endsAt, now)))
      .all(),
  ]);
  if (!incident) {
    log.warn('alert.notify for an unknown incident dropped', { orgId: msg.orgId, incidentId: msg.incidentId });
    return {};
  }
  const target: SilenceTarget = incident;
  if (isSilenced(silences, target, now)) {
    const by = silences.filter((s) => isSilenced([s], target, now)).map((s) => s.id);
    log.info('notification silenced', { incidentId: incident.id, transition: msg.transition, silences: by });
    return {};
  }
  const matching = channels.filter((c) => passesFilters(c.filters, incident));
  if (matching.length === 0) return {};

  const device = await d
    .select({ name: schema.devices.name })
    .from(schema.devices)
    .where(and(eq(schema.devices.id, incident.deviceId), eq(schema.devices.orgId, msg.orgId)))
    .get();
  const publicUrl = settings(env).PUBLIC_URL;
  const event = {
    type: alertEventType(msg.transition),
    transition: msg.transition,
    repeat: msg.repeat,
    at: msg.at,
    // Not silenced: a silenced incident returned above.
    incident: incidentView(incident, [], now),
    device: { id: incident.deviceId, name: device?.name ?? null },
    url: publicUrl ? `${publicUrl}/incidents/${encodeURIComponent(incident.id)}` : null,
  };
  // Host channels lead to the notice of this transition for each device they target, once each.
  const hosts = matching.filter((c) => c.kind === 'host');
  if (device) await recordHostNotices(env, msg.orgId, event, hosts);
  const posted = matching.filter((c): c is typeof c & { kind: UrlChannelKind } => c.kind !== 'host');
  if (posted.length === 0) return {};
  const rows = await Promise.all(
    posted.map(async (c) => ({
      id: await deliveryIdFor(msg, c.id),
      orgId: msg.orgId,
      webhookId: c.id,
      incidentId: incident.id,
      eventType: event.type,
      repeat: msg.repeat,
      body: JSON.stringify(alertBody(c.kind, event)),
      state: 'pending' as const,
      attempts: 0,
      createdAt: now,
    })),
  );
  // One statement per row keeps each far below D1's 100 bound parameters; the batch is one transaction.
  const inserts = rows.map((r) => d.insert(schema.deliveries).values(r).onConflictDoNothing());
  await d.batch(inserts as [(typeof inserts)[number], ...typeof inserts]);
  const results = await mapLimit(rows, PARALLEL_CHANNELS, (r) =>
    runDelivery(
      env,
      { type: 'webhook.deliver', orgId: msg.orgId, deliveryId: r.id, attempts: 0, seriesStart: 0 },
      options,
    ),
  );
  return Object.fromEntries(rows.map((r, i) => [r.id, results[i]!]));
}
