import { and, eq, sql } from 'drizzle-orm';
import type { WebhookDeliverMessage } from '../../../../schema/wire/alerts.ts';
import { db, schema, type Db } from '../../db.ts';
import { settings } from '../../settings.ts';
import { newId } from '../credentials/crypto.ts';
import { log } from '../log.ts';
import { attemptDelivery, type AttemptOutcome } from './attempt.ts';
import type { Fetch } from './dns.ts';
import { queueDelaySeconds, retryDelayMs } from './retry.ts';
import { decryptSecret } from './secret-box.ts';

/** A `webhook.deliver` message as the notifier sends it: the fields below make duplicates harmless. */
export interface DeliverMessage extends WebhookDeliverMessage {
  /** The delivery's attempt count when the message was sent; a message with a stale count is a duplicate. */
  attempts?: number;
  /** The attempt count when the current series (the first send, or a redelivery) began. */
  seriesStart?: number;
}

/** What a dead delivery's message carries to the dead-letter queue. */
export interface DeadLetter extends DeliverMessage {
  error: string | null;
  status: number | null;
}

export interface RunOptions {
  /** How often the queue has handed over the message this run belongs to (1 the first time). */
  queueAttempts?: number;
  fetch?: Fetch;
  random?: () => number;
}

export type RunResult = 'delivered' | 'retrying' | 'failed' | 'dead' | 'waiting' | 'skipped';

type Delivery = typeof schema.deliveries.$inferSelect;
type Webhook = typeof schema.webhooks.$inferSelect;

const D = schema.deliveries;

/**
 * Makes the next attempt of a delivery, records it, and schedules what follows: done on 2xx;
 * failed on 410 Gone, which also disables the channel; otherwise a retry per
 * WEBHOOK_RETRY_SCHEDULE (sent again on the queue with its delay), or dead past the schedule's
 * end, with a message to ALERTS_DLQ. Idempotent: the attempt is claimed by a compare-and-set on
 * the attempt count, so a duplicate message, or one for a delivery that is no longer pending,
 * sends nothing.
 */
export async function runDelivery(env: Env, msg: DeliverMessage, options: RunOptions = {}): Promise<RunResult> {
  const d = db(env.DB);
  const row = await d
    .select({ delivery: D, webhook: schema.webhooks })
    .from(D)
    .innerJoin(schema.webhooks, eq(schema.webhooks.id, D.webhookId))
    .where(and(eq(D.id, msg.deliveryId), eq(D.orgId, msg.orgId)))
    .get();
  if (!row || row.delivery.state !== 'pending') return 'skipped';
  const { delivery, webhook } = row;
  const expected = msg.attempts ?? delivery.attempts;
  const now = Date.now();
  const retried = (options.queueAttempts ?? 1) > 1;
  let number: number;
  if (delivery.attempts === expected) {
    // A wait longer than a queue delay allows arrives early: send it on for the rest.
    if (delivery.nextAttemptAt !== null && delivery.nextAttemptAt - now > 1000) {
      await followUp(env, msg, delivery.attempts, delivery.nextAttemptAt - now);
      return 'waiting';
    }
    if (!webhook.enabled) {
      await d
        .update(D)
        .set({ state: 'failed', nextAttemptAt: null })
        .where(and(eq(D.id, delivery.id), eq(D.state, 'pending')));
      log.info('webhook delivery dropped: channel disabled', { deliveryId: delivery.id, webhookId: webhook.id });
      return 'failed';
    }
    const [claimed] = await d
      .update(D)
      .set({ attempts: sql`${D.attempts} + 1`, lastAttemptAt: now, nextAttemptAt: null })
      .where(and(eq(D.id, delivery.id), eq(D.attempts, expected), eq(D.state, 'pending')))
      .returning({ attempts: D.attempts });
    if (!claimed) return 'skipped';
    number = claimed.attempts;
  } else if (retried && delivery.attempts === expected + 1) {
    // This very message got further before and threw: finish what it started.
    if (!(await attemptRecorded(d, delivery.id, expected + 1))) number = expected + 1;
    else if (delivery.nextAttemptAt !== null) {
      await followUp(env, msg, delivery.attempts, delivery.nextAttemptAt - now);
      return 'waiting';
    } else return 'skipped';
  } else return 'skipped';

  const outcome = await attempt(env, delivery, webhook, options);
  return record(env, d, msg, delivery, number, outcome, options);
}

async function attempt(env: Env, delivery: Delivery, webhook: Webhook, options: RunOptions): Promise<AttemptOutcome> {
  const s = settings(env);
  let secrets: string[];
  try {
    secrets = await signingSecrets(env, webhook, Date.now());
  } catch (err) {
    const error = `cannot sign: ${err instanceof Error ? err.message : String(err)}`;
    log.error('webhook secret unreadable', { webhookId: webhook.id, error });
    return { at: Date.now(), status: null, latencyMs: 0, error, responseExcerpt: null, retryAfterMs: null };
  }
  return attemptDelivery(
    delivery.id,
    delivery.body,
    { url: webhook.url, secrets },
    {
      timeoutMs: s.WEBHOOK_TIMEOUT_MS,
      allowPrivate: s.ALLOW_PRIVATE_WEBHOOKS,
      resolver: s.WEBHOOK_DNS_RESOLVER,
      fetch: options.fetch,
    },
  );
}

/** The secrets that sign now, newest first: the previous one too while its grace period lasts. */
async function signingSecrets(env: Env, webhook: Webhook, now: number): Promise<string[]> {
  const current = await decryptSecret(env, webhook.id, webhook.secretEnc);
  const rotating =
    webhook.previousSecretEnc !== null &&
    webhook.previousSecretExpiresAt !== null &&
    webhook.previousSecretExpiresAt > now;
  return rotating ? [current, await decryptSecret(env, webhook.id, webhook.previousSecretEnc!)] : [current];
}

async function record(
  env: Env,
  d: Db,
  msg: DeliverMessage,
  delivery: Delivery,
  number: number,
  outcome: AttemptOutcome,
  options: RunOptions,
): Promise<RunResult> {
  const seriesStart = msg.seriesStart ?? 0;
  const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
  const gone = outcome.status === 410;
  const delay =
    ok || gone
      ? null
      : retryDelayMs(
          settings(env).WEBHOOK_RETRY_SCHEDULE,
          number - seriesStart - 1,
          outcome.retryAfterMs,
          options.random,
        );
  const result: RunResult = ok ? 'delivered' : gone ? 'failed' : delay === null ? 'dead' : 'retrying';
  const done = Date.now();
  const mine = and(eq(D.id, delivery.id), eq(D.attempts, number), eq(D.state, 'pending'));
  await d.batch([
    d
      .insert(schema.deliveryAttempts)
      .values({
        id: newId('dat'),
        orgId: delivery.orgId,
        deliveryId: delivery.id,
        attempt: number,
        at: outcome.at,
        status: outcome.status,
        latencyMs: outcome.latencyMs,
        error: outcome.error,
        responseExcerpt: outcome.responseExcerpt,
      })
      .onConflictDoNothing(),
    d
      .update(D)
      .set({
        state: result === 'retrying' ? 'pending' : result,
        nextAttemptAt: delay === null ? null : done + delay,
        ...(ok ? { deliveredAt: done } : {}),
      })
      .where(mine),
    ...(gone
      ? [
          d
            .update(schema.webhooks)
            .set({
              enabled: false,
              disabledReason: `the receiver answered 410 Gone on ${new Date(outcome.at).toISOString()}`,
              updatedAt: done,
            })
            .where(eq(schema.webhooks.id, delivery.webhookId)),
        ]
      : []),
  ]);
  const fields = { deliveryId: delivery.id, webhookId: delivery.webhookId, attempt: number, status: outcome.status };
  if (result === 'retrying') await followUp(env, { ...msg, seriesStart }, number, delay!);
  else if (result === 'dead') {
    const letter: DeadLetter = { ...msg, attempts: number, seriesStart, error: outcome.error, status: outcome.status };
    log.warn('webhook delivery dead: retries exhausted', { ...fields, error: outcome.error });
    await env.ALERTS_DLQ.send(letter);
  } else if (gone) log.warn('webhook channel disabled: 410 Gone', fields);
  return result;
}

/** Sends the delivery's next `webhook.deliver` message, due in `ms`. */
async function followUp(env: Env, msg: DeliverMessage, attempts: number, ms: number): Promise<void> {
  const next: DeliverMessage = {
    type: 'webhook.deliver',
    orgId: msg.orgId,
    deliveryId: msg.deliveryId,
    attempts,
    seriesStart: msg.seriesStart ?? 0,
  };
  await env.ALERTS_QUEUE.send(next, { delaySeconds: queueDelaySeconds(ms) });
}

async function attemptRecorded(d: Db, deliveryId: string, attempt: number): Promise<boolean> {
  const a = schema.deliveryAttempts;
  const found = await d
    .select({ id: a.id })
    .from(a)
    .where(and(eq(a.deliveryId, deliveryId), eq(a.attempt, attempt)))
    .get();
  return found !== undefined;
}
