import { and, asc, desc, eq, exists, lt, or, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { DeliveryState } from '../../../../schema/tables/alerts.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError, notFound } from '../../errors.ts';
import { auditInsertIf } from '../audit/record.ts';
import { decodeCursor, encodeCursor } from '../http/cursor.ts';
import { findWebhook, webhookDisabled } from './channels.ts';
import type { DeliverMessage } from './deliver.ts';
import { attemptView, deliveryView } from './views.ts';

/** The delivery log: a channel's deliveries page by page, one delivery's attempts, redelivery. */

type C = Context<AppEnv>;
const D = schema.deliveries;

export const deliveryNotFound = (id: string) => notFound(`delivery "${id}"`);

type Position = [number, string];
const isPosition = (v: unknown): v is Position =>
  Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && typeof v[1] === 'string';

/** One page of a channel's deliveries, newest first. */
export async function listDeliveries(
  c: C,
  webhookId: string,
  q: { cursor?: string; limit: number; state?: DeliveryState },
) {
  await findWebhook(c, webhookId);
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, isPosition);
  const rows = await db(c.env.DB)
    .select()
    .from(D)
    .where(
      and(
        eq(D.webhookId, webhookId),
        eq(D.orgId, c.var.caller.orgId),
        q.state ? eq(D.state, q.state) : undefined,
        after ? or(lt(D.createdAt, after[0]), and(eq(D.createdAt, after[0]), lt(D.id, after[1]))) : undefined,
      ),
    )
    .orderBy(desc(D.createdAt), desc(D.id))
    .limit(q.limit + 1)
    .all();
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    deliveries: page.map(deliveryView),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.createdAt, last.id]) : null,
  };
}

async function findDelivery(c: C, id: string) {
  const row = await db(c.env.DB)
    .select()
    .from(D)
    .where(and(eq(D.id, id), eq(D.orgId, c.var.caller.orgId)))
    .get();
  if (!row) throw deliveryNotFound(id);
  return row;
}

/** A delivery with its body and every attempt, oldest first. */
export async function getDelivery(c: C, id: string) {
  const row = await findDelivery(c, id);
  const attempts = await db(c.env.DB)
    .select()
    .from(schema.deliveryAttempts)
    .where(eq(schema.deliveryAttempts.deliveryId, id))
    .orderBy(asc(schema.deliveryAttempts.attempt))
    .all();
  return { ...deliveryView(row), body: row.body, attemptLog: attempts.map(attemptView) };
}

export const deliveryPending = (id: string) =>
  new ApiError(409, 'delivery_pending', `delivery "${id}" is still being delivered; redeliver it once it has settled`);

/**
 * Starts a new series of attempts for a settled delivery: the same id (`webhook-id`) and the same
 * body, so a receiver that already has it can drop it; the retry schedule starts over.
 */
export async function redeliver(c: C, id: string) {
  const row = await findDelivery(c, id);
  if (row.state === 'pending') throw deliveryPending(id);
  const hook = await findWebhook(c, row.webhookId);
  if (!hook.enabled) throw webhookDisabled(hook.id);
  const d = db(c.env.DB);
  // Only from the state this request read: of two redeliveries at once, one starts a series.
  const settled = and(eq(D.id, id), eq(D.orgId, row.orgId), eq(D.state, row.state), eq(D.attempts, row.attempts));
  const [, [updated]] = await d.batch([
    auditInsertIf(
      c,
      { targetType: 'delivery', targetId: id, before: { state: row.state }, after: { state: 'pending' } },
      exists(
        d
          .select({ one: sql`1` })
          .from(D)
          .where(settled),
      ),
    ),
    d.update(D).set({ state: 'pending', nextAttemptAt: null, deliveredAt: null }).where(settled).returning(),
  ]);
  if (!updated) throw deliveryPending(id);
  const message: DeliverMessage = {
    type: 'webhook.deliver',
    orgId: row.orgId,
    deliveryId: id,
    attempts: row.attempts,
    seriesStart: row.attempts,
  };
  await c.env.ALERTS_QUEUE.send(message);
  return deliveryView(updated);
}
