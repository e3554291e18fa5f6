import { log } from './log.ts';

/** The message `/health/deep` sends through ALERTS_QUEUE to prove it is reachable. */
export interface HealthPing {
  type: 'health.ping';
  at: number;
}

const isHealthPing = (body: unknown): body is HealthPing =>
  typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'health.ping';

/**
 * Consumer of ALERTS_QUEUE. Today it only carries the pings `/health/deep` sends, which prove
 * the queue is reachable and need no work; webhook delivery arrives with the alerts issue.
 * Anything else is acknowledged and logged, so an unknown message cannot loop through retries.
 */
export async function consumeQueue(batch: MessageBatch<unknown>, _env: Env): Promise<void> {
  for (const message of batch.messages) {
    if (!isHealthPing(message.body)) log.warn('unknown queue message dropped', { id: message.id });
    message.ack();
  }
}
