import { setTimeout as sleep } from 'node:timers/promises';
import { CheckFailed, expectStatus } from './api.ts';
import type { SmokeContext } from './checks.ts';

interface Delivery {
  id: string;
  state: 'pending' | 'delivered' | 'failed' | 'dead';
  attempts: number;
  attemptLog?: { status: number | null; error: string | null }[];
}

/**
 * A notification channel to the receiver, then its signed test event (`POST /v1/webhooks/:id/test`),
 * which goes through the alerts queue like any notification; passes once the delivery log says
 * the receiver answered 2xx. The channel is deleted by the cleanup.
 */
export async function webhookTest(ctx: SmokeContext): Promise<string> {
  const channel = expectStatus<{ id: string }>(
    await ctx.api.call('POST', '/v1/webhooks', {
      body: { name: 'edgewatch smoke test', kind: 'generic', url: ctx.webhookUrl },
    }),
    201,
    'POST /v1/webhooks',
  );
  ctx.made.webhookId = channel.id;
  const queued = expectStatus<Delivery>(
    await ctx.api.call('POST', `/v1/webhooks/${channel.id}/test`),
    202,
    `POST /v1/webhooks/${channel.id}/test`,
  );
  const deadline = Date.now() + ctx.timeoutMs;
  let delivery: Delivery = queued;
  while (delivery.state === 'pending' && Date.now() < deadline) {
    await sleep(250);
    const path = `/v1/deliveries/${queued.id}`;
    delivery = expectStatus<Delivery>(await ctx.api.call('GET', path), 200, `GET ${path}`);
  }
  const last = delivery.attemptLog?.at(-1);
  if (delivery.state !== 'delivered') {
    const why = last ? `last attempt: ${last.error ?? `HTTP ${last.status}`}` : 'no attempt yet';
    throw new CheckFailed(
      `delivery ${queued.id} is ${delivery.state} after ${delivery.attempts} attempt(s) (${why}); ` +
        'a deployed Worker posts only to public https URLs',
    );
  }
  return `webhook-id ${queued.id} delivered to ${ctx.webhookUrl} (HTTP ${last?.status ?? '2xx'}, ${delivery.attempts} attempt(s))`;
}
