import type { AlertNotifyMessage } from '../../../schema/wire/alerts.ts';
import { log } from './log.ts';
import { mapLimit } from './map-limit.ts';
import { handleDeadLetter } from './notify/dead-letters.ts';
import { runDelivery, type DeliverMessage } from './notify/deliver.ts';
import { handleConfigPush, type ConfigPushMessage } from './agents/config-push.ts';
import { handleAlertNotify } from './notify/notify.ts';

/** The message `/health/deep` sends through ALERTS_QUEUE to prove it is reachable. */
export interface HealthPing {
  type: 'health.ping';
  at: number;
}

/** The dead-letter queue's name in wrangler.toml; the same Worker consumes it. */
export const DEAD_LETTER_QUEUE = 'edgewatch-alerts-dlq';

/** Messages of one batch handled at once. */
const PARALLEL = 5;

const typeOf = (body: unknown) =>
  typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;

/** Delay before the queue hands a message whose handling threw back again, growing per try. */
const backoffSeconds = (attempts: number) => Math.min(300, 5 * 2 ** (attempts - 1));

/**
 * Consumer of ALERTS_QUEUE and of its dead-letter queue. `alert.notify` becomes deliveries to
 * the org's channels (services/notify/notify.ts); `webhook.deliver` is one attempt of one of
 * them (deliver.ts); `config.push` tells devices' hubs of a change of their config or host
 * notices (agents/config-push.ts); `health.ping` needs no work. Each message is acknowledged on
 * its own, and only one whose handling threw is retried (then dead-lettered by the queue); an
 * unknown message is acknowledged and logged, so it cannot loop through retries.
 */
export async function consumeQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await mapLimit(batch.messages, PARALLEL, (message) => consume(batch.queue, message, env));
}

async function consume(queue: string, message: Message<unknown>, env: Env): Promise<void> {
  const body = message.body;
  try {
    if (queue === DEAD_LETTER_QUEUE) await handleDeadLetter(env, body);
    else if (typeOf(body) === 'alert.notify')
      await handleAlertNotify(env, body as AlertNotifyMessage, { queueAttempts: message.attempts });
    else if (typeOf(body) === 'config.push') await handleConfigPush(env, body as ConfigPushMessage);
    else if (typeOf(body) === 'webhook.deliver')
      await runDelivery(env, body as DeliverMessage, { queueAttempts: message.attempts });
    else if (typeOf(body) !== 'health.ping') log.warn('unknown queue message dropped', { id: message.id });
    message.ack();
  } catch (err) {
    log.error('queue message failed; the queue retries it', {
      id: message.id,
      type: String(typeOf(body)),
      attempts: message.attempts,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    message.retry({ delaySeconds: backoffSeconds(message.attempts) });
  }
}
