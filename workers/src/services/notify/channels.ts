import { and, desc, eq, exists, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { HostTargets, WebhookKind } from '../../../../schema/tables/alerts.ts';
import type { WebhookFilters } from '../../../../schema/wire/alerts.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError, badRequest, notFound } from '../../errors.ts';
import { auditInsert, auditInsertIf } from '../audit/record.ts';
import { newId } from '../credentials/crypto.ts';
import type { DeliverMessage } from './deliver.ts';
import { testBody } from './payloads.ts';
import {
  encryptSecret,
  newWebhookSecret,
  requireKey,
  secretPrefix,
  WebhookKeyError,
  webhooksNotConfigured,
} from './secret-box.ts';
import { checkWebhookUrl } from './url-check.ts';
import { deliveryView, urlForAudit, webhookView } from './views.ts';

/** Notification channels: what the `/v1/webhooks` routes do, each scoped to the caller's org. */

type C = Context<AppEnv>;
type WebhookRow = typeof schema.webhooks.$inferSelect;
const W = schema.webhooks;

export const webhookNotFound = (id: string) => notFound(`webhook "${id}"`);
export const webhookDisabled = (id: string) =>
  new ApiError(409, 'webhook_disabled', `webhook "${id}" is disabled; enable it with PATCH {"enabled": true} first`);
export const notForHostChannels = (id: string, what: string) =>
  new ApiError(
    409,
    'not_supported',
    `webhook "${id}" is a host channel: ${what}; its notices reach the agents with their config (docs/alerts.md)`,
  );
export const concurrentChange = (what: string) =>
  new ApiError(409, 'conflict', `${what} was changed by another request at the same time; try again`);

async function keyOrRefuse(env: Env): Promise<void> {
  try {
    await requireKey(env);
  } catch (err) {
    if (err instanceof WebhookKeyError) throw webhooksNotConfigured(err);
    throw err;
  }
}

/** The caller's webhook `id`, or 404. */
export async function findWebhook(c: C, id: string): Promise<WebhookRow> {
  const row = await db(c.env.DB)
    .select()
    .from(W)
    .where(and(eq(W.id, id), eq(W.orgId, c.var.caller.orgId)))
    .get();
  if (!row) throw webhookNotFound(id);
  return row;
}

/** The org's channels, newest first. */
export async function listWebhooks(c: C) {
  const rows = await db(c.env.DB)
    .select()
    .from(W)
    .where(eq(W.orgId, c.var.caller.orgId))
    .orderBy(desc(W.createdAt))
    .all();
  const now = Date.now();
  return rows.map((r) => webhookView(r, now));
}

export interface CreateWebhook {
  name: string;
  kind: WebhookKind;
  /** Absent for a `host` channel (the request schema sees to it). */
  url?: string;
  filters: WebhookFilters;
  /** A `host` channel's targets (the request schema defaults it; absent for the URL kinds). */
  hosts?: HostTargets;
  enabled: boolean;
}

/**
 * Creates a channel. A URL channel gets a new secret, which the answer shows this once; a `host`
 * channel has neither URL nor secret (both columns hold '').
 */
export async function createWebhook(c: C, body: CreateWebhook) {
  const id = newId('whk');
  const secret = body.kind === 'host' ? undefined : newWebhookSecret();
  if (body.url !== undefined) {
    await keyOrRefuse(c.env);
    await checkWebhookUrl(c.env, body.url);
  }
  const now = Date.now();
  const row: WebhookRow = {
    id,
    orgId: c.var.caller.orgId,
    ...body,
    url: body.url ?? '',
    hosts: body.kind === 'host' ? (body.hosts ?? 'covered') : null,
    secretEnc: secret ? await encryptSecret(c.env, id, secret) : '',
    secretPrefix: secret ? secretPrefix(secret) : '',
    previousSecretEnc: null,
    previousSecretExpiresAt: null,
    disabledReason: null,
    createdBy: c.var.caller.userId ?? c.var.caller.credentialId,
    createdAt: now,
    updatedAt: now,
  };
  const d = db(c.env.DB);
  await d.batch([
    d.insert(W).values(row),
    auditInsert(c, {
      targetType: 'webhook',
      targetId: id,
      after: {
        name: row.name,
        kind: row.kind,
        url: urlForAudit(row.url),
        filters: row.filters,
        ...(row.hosts ? { hosts: row.hosts } : {}),
        enabled: row.enabled,
      },
    }),
  ]);
  return { ...webhookView(row, now), ...(secret ? { secret } : {}) };
}

export type UpdateWebhook = Partial<Pick<CreateWebhook, 'name' | 'url' | 'filters' | 'hosts' | 'enabled'>>;

/** Changes a channel. Enabling it clears the reason the platform disabled it for. */
export async function updateWebhook(c: C, id: string, patch: UpdateWebhook) {
  const existing = await findWebhook(c, id);
  if (patch.url !== undefined && existing.kind === 'host') {
    throw badRequest('invalid_input', 'url: a host channel has no URL: its notices go to agents', 'url');
  }
  if (patch.hosts !== undefined && existing.kind !== 'host') {
    throw badRequest('invalid_input', `hosts: only a host channel has targets; this one is ${existing.kind}`, 'hosts');
  }
  if (patch.url !== undefined && patch.url !== existing.url) await checkWebhookUrl(c.env, patch.url);
  const changed = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as UpdateWebhook;
  const now = Date.now();
  const set = { ...changed, ...(changed.enabled !== undefined ? { disabledReason: null } : {}), updatedAt: now };
  const forAudit = (r: Omit<UpdateWebhook, 'hosts'> & { hosts?: HostTargets | null; disabledReason?: string | null }) =>
    Object.fromEntries(
      Object.keys(set)
        .filter((k) => k !== 'updatedAt')
        .map((k) => [k, k === 'url' && r.url ? urlForAudit(r.url) : r[k as keyof typeof r]]),
    );
  const d = db(c.env.DB);
  const mine = and(eq(W.id, id), eq(W.orgId, c.var.caller.orgId));
  const [, [updated]] = await d.batch([
    auditInsertIf(
      c,
      { targetType: 'webhook', targetId: id, before: forAudit(existing), after: forAudit(set) },
      exists(
        d
          .select({ one: sql`1` })
          .from(W)
          .where(mine),
      ),
    ),
    d.update(W).set(set).where(mine).returning(),
  ]);
  if (!updated) throw webhookNotFound(id);
  return webhookView(updated, now);
}

/** Deletes a channel with its delivery log. */
export async function deleteWebhook(c: C, id: string): Promise<void> {
  const d = db(c.env.DB);
  const mine = and(eq(W.id, id), eq(W.orgId, c.var.caller.orgId));
  const existing = await findWebhook(c, id);
  const [, deleted] = await d.batch([
    auditInsertIf(
      c,
      { targetType: 'webhook', targetId: id, before: { name: existing.name, url: urlForAudit(existing.url) } },
      exists(
        d
          .select({ one: sql`1` })
          .from(W)
          .where(mine),
      ),
    ),
    d.delete(W).where(mine).returning({ id: W.id }),
  ]);
  if (deleted.length === 0) throw webhookNotFound(id);
}

/**
 * Gives a channel a new secret, shown this once. The previous one keeps signing beside it for
 * `graceSeconds` (0 ends it now), so receivers can switch without dropping a message.
 */
export async function rotateSecret(c: C, id: string, graceSeconds: number) {
  const existing = await findWebhook(c, id);
  if (existing.kind === 'host') throw notForHostChannels(id, 'it has no secret');
  await keyOrRefuse(c.env);
  const secret = newWebhookSecret();
  const now = Date.now();
  const set = {
    secretEnc: await encryptSecret(c.env, id, secret),
    secretPrefix: secretPrefix(secret),
    previousSecretEnc: graceSeconds > 0 ? existing.secretEnc : null,
    previousSecretExpiresAt: graceSeconds > 0 ? now + graceSeconds * 1000 : null,
    updatedAt: now,
  };
  const d = db(c.env.DB);
  const [[updated]] = await d.batch([
    // Only over the secret this request read: of two rotations at once, one wins and the other is told.
    d
      .update(W)
      .set(set)
      .where(and(eq(W.id, id), eq(W.orgId, c.var.caller.orgId), eq(W.secretEnc, existing.secretEnc)))
      .returning(),
    auditInsertIf(
      c,
      { targetType: 'webhook', targetId: id, after: { secretRotated: true, graceSeconds } },
      exists(
        d
          .select({ one: sql`1` })
          .from(W)
          .where(and(eq(W.id, id), eq(W.secretEnc, set.secretEnc))),
      ),
    ),
  ]);
  if (!updated) throw concurrentChange(`the secret of webhook "${id}"`);
  return { ...webhookView(updated, now), secret };
}

/** Queues a signed `webhook.test` event to the channel, through the same path as every delivery. */
export async function sendTest(c: C, id: string) {
  const hook = await findWebhook(c, id);
  if (hook.kind === 'host')
    throw notForHostChannels(id, 'to see a notice arrive on a host, run `edgewatch-agent notices --test` there');
  if (!hook.enabled) throw webhookDisabled(id);
  const now = Date.now();
  const row = {
    id: newId('dlv'),
    orgId: hook.orgId,
    webhookId: id,
    incidentId: null,
    eventType: 'webhook.test',
    repeat: false,
    body: JSON.stringify(testBody(hook.kind, { webhook: { id, name: hook.name }, at: now })),
    state: 'pending' as const,
    attempts: 0,
    createdAt: now,
    lastAttemptAt: null,
    nextAttemptAt: null,
    deliveredAt: null,
  };
  const d = db(c.env.DB);
  await d.batch([
    d.insert(schema.deliveries).values(row),
    auditInsert(c, { targetType: 'webhook', targetId: id, after: { deliveryId: row.id, eventType: row.eventType } }),
  ]);
  const message: DeliverMessage = {
    type: 'webhook.deliver',
    orgId: hook.orgId,
    deliveryId: row.id,
    attempts: 0,
    seriesStart: 0,
  };
  await c.env.ALERTS_QUEUE.send(message);
  return deliveryView(row);
}
