import { and, eq } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { log } from '../log.ts';
import type { DeadLetter } from './deliver.ts';

const isDeliver = (b: unknown): b is Partial<DeadLetter> & { deliveryId: string; orgId: string } =>
  typeof b === 'object' &&
  b !== null &&
  (b as { type?: unknown }).type === 'webhook.deliver' &&
  typeof (b as { deliveryId?: unknown }).deliveryId === 'string' &&
  typeof (b as { orgId?: unknown }).orgId === 'string';

/**
 * One message of the dead-letter queue. Two kinds arrive: deliveries whose retries ran out (sent
 * by deliver.ts, already `dead`), and messages whose handling kept throwing until the queue gave
 * up on them. A delivery among the latter is marked dead too, so the log never shows it pending
 * for ever. Each is logged as an error, the operator's signal to look.
 */
export async function handleDeadLetter(env: Env, body: unknown): Promise<void> {
  if (isDeliver(body)) {
    const D = schema.deliveries;
    await db(env.DB)
      .update(D)
      .set({ state: 'dead', nextAttemptAt: null })
      .where(and(eq(D.id, body.deliveryId), eq(D.orgId, body.orgId), eq(D.state, 'pending')));
    log.error('webhook delivery dead-lettered', {
      deliveryId: body.deliveryId,
      orgId: body.orgId,
      attempts: body.attempts ?? null,
      status: body.status ?? null,
      error: body.error ?? 'its handling failed on every try',
    });
    return;
  }
  log.error('queue message dead-lettered', { message: JSON.stringify(body).slice(0, 500) });
}
