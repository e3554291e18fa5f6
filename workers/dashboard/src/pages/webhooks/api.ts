import type { WebhookFilters } from '../../../../../schema/wire/alerts.ts';
import { call } from '../../api.ts';

/**
 * `host` sends no HTTP request: its notices go to the agents of the devices it targets (see
 * `HostTargets`), which write them to a log on the host (and to terminals and the journal if
 * their config says so).
 */
export type WebhookKind = 'generic' | 'slack' | 'discord' | 'host';
export const WEBHOOK_KINDS: readonly { kind: WebhookKind; label: string }[] = [
  { kind: 'generic', label: 'Generic JSON (signed, Standard Webhooks)' },
  { kind: 'slack', label: 'Slack-compatible' },
  { kind: 'discord', label: 'Discord-compatible' },
  { kind: 'host', label: 'Host notices (agents)' },
];

/**
 * Which agents a `host` channel's notices go to: `covered`, every device its device, site and
 * tag filters cover (the whole organisation without them); `incident`, only the incident's own
 * device. Severity and rule filters only choose which incidents pass.
 */
export type HostTargets = 'covered' | 'incident';

/** A notification channel as listed: the secret's prefix only, never the secret. */
export interface WebhookView {
  id: string;
  name: string;
  kind: WebhookKind;
  /** Null for a `host` channel, which has none. */
  url: string | null;
  filters: WebhookFilters;
  /** A `host` channel's targets; null for the URL kinds. */
  hosts: HostTargets | null;
  enabled: boolean;
  /** Why the platform disabled it (e.g. the receiver answered 410 Gone). */
  disabledReason?: string | null;
  /** Null for a `host` channel, which signs nothing. */
  secretPrefix: string | null;
  previousSecretExpiresAt?: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What create and update send: `url` for the URL kinds, `hosts` for `host` (each left out for the other). */
export interface WebhookBody {
  name: string;
  kind: WebhookKind;
  url?: string;
  filters: WebhookFilters;
  hosts?: HostTargets;
  enabled: boolean;
}

/** What an update sends: the kind is fixed when a channel is made. */
export type WebhookUpdate = Omit<WebhookBody, 'kind'>;

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
  /** The answer's `secret` (URL kinds only) is shown once and never again. */
  create: (body: WebhookBody) => call<WebhookView & { secret?: string }>('POST', '/v1/webhooks', body),
  update: (id: string, body: Partial<WebhookUpdate>) => call<WebhookView>('PATCH', hook(id), body),
  remove: (id: string) => call<null>('DELETE', hook(id)),
  /** The new secret, shown once; the old one keeps signing for `graceSeconds`. A `host` channel answers 409. */
  rotate: (id: string, graceSeconds: number) =>
    call<WebhookView & { secret: string }>('POST', `${hook(id)}/rotate-secret`, { graceSeconds }),
  /** Queues a signed `webhook.test` event; the answer is its delivery, pending. A `host` channel answers 409. */
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
