import type { AlertNotifyMessage, WebhookDeliverMessage } from '../../../../schema/wire/alerts.ts';

export type AlertQueueMessage = AlertNotifyMessage | WebhookDeliverMessage;

/** Queues an incident transition for the notification consumer (services/notify). */
export async function queueNotify(env: Env, message: Omit<AlertNotifyMessage, 'type'>): Promise<void> {
  await env.ALERTS_QUEUE.send({ type: 'alert.notify', ...message } satisfies AlertNotifyMessage);
}
