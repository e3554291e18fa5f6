import type { WebhookFilters } from '../../../../../schema/wire/alerts.ts';
import { call } from '../../api.ts';

export type WebhookKind = 'generic' | 'slack' | 'discord';
export const WEBHOOK_KINDS: readonly { kind: WebhookKind; label: string }[] = [
  { kind: 'generic', label: 'Generic JSON (signed, Standard Webhooks)' },
  { kind: 'slack', label: 'Slack-compatible' },
  { kind: 'discord', label: 'Discord-compatible' },
];

/** A notification channel as listed: the secret's prefix only, never the secret. */
export interface WebhookView {
  id: string;
  name: string;
  kind: WebhookKind;
  url: string;
  filters: WebhookFilters;
  enabled: boolean;
  /** Why the platform disabled it (e.g. the receiver answered 410 Gone). */
  disabledReason?: string | null;
  secretPrefix?: string;
  previousSecretExpiresAt?: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookBody {
  name: string;
  kind: WebhookKind;
  url: string;
  filters: WebhookFilters;
  enabled: boolean;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'dead';

export interface DeliveryView {
  /** Also the `webhook-id` header the receiver sees, the same on every attempt. */
  id: string;
  state: DeliveryState;
  attempts: number;
  eventType: string;
  incidentId: string | null;
  repeat: boolean;
  createdAt: number;
  lastAttemptAt: number | null;
}

export interface DeliveryAttempt {
  attempt?: number;
  at: number;
  status: number | null;
  latencyMs: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface DeliveryDetail extends DeliveryView {
  attemptLog: DeliveryAttempt[];
  /** The exact bytes every attempt sends. */
  body?: string;
}

const enc = encodeURIComponent;
const hook = (id: string) => `/v1/webhooks/${enc(id)}`;

/** The webhook pages' calls to the public API; errors are `ApiError` (see ../../api.ts). */
export const webhooksApi = {
  list: (signal?: AbortSignal) =>
    call<{ webhooks: WebhookView[] }>('GET', '/v1/webhooks', undefined, signal).then((r) => r.webhooks),
  get: (id: string, signal?: AbortSignal) => call<WebhookView>('GET', hook(id), undefined, signal),
  /** The answer's `secret` is shown once and never again. */
  create: (body: WebhookBody) => call<WebhookView & { secret: string }>('POST', '/v1/webhooks', body),
  update: (id: string, body: Partial<WebhookBody>) => call<WebhookView>('PATCH', hook(id), body),
  remove: (id: string) => call<null>('DELETE', hook(id)),
  /** The new secret, shown once; the old one keeps signing for `graceSeconds`. */
  rotate: (id: string, graceSeconds: number) =>
    call<WebhookView & { secret: string }>('POST', `${hook(id)}/rotate-secret`, { graceSeconds }),
  /** Queues a signed `webhook.test` event; the answer is its delivery, pending. */
  test: (id: string) => call<DeliveryView>('POST', `${hook(id)}/test`),
  deliveries: (id: string, cursor: string | null, signal?: AbortSignal, limit = 25) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return call<{ deliveries: DeliveryView[]; nextCursor: string | null }>(
      'GET',
      `${hook(id)}/deliveries?${q}`,
      undefined,
      signal,
    ).then((r) => ({ items: r.deliveries, nextCursor: r.nextCursor }));
  },
  delivery: (id: string, signal?: AbortSignal) =>
    call<DeliveryDetail>('GET', `/v1/deliveries/${enc(id)}`, undefined, signal),
  redeliver: (id: string) => call<DeliveryView>('POST', `/v1/deliveries/${enc(id)}/redeliver`),
};
