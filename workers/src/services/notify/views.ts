import { z } from 'zod';
import { deliveryStates, hostTargets, webhookKinds } from '../../../../schema/tables/alerts.ts';
import { webhookFilters } from '../../../../schema/wire/alerts.ts';
import type { schema } from '../../db.ts';

/** What the API answers about channels and deliveries: the shapes (for the document) and the mappings. */

type WebhookRow = typeof schema.webhooks.$inferSelect;
type DeliveryRow = typeof schema.deliveries.$inferSelect;
type AttemptRow = typeof schema.deliveryAttempts.$inferSelect;

const when = z.number().int();

export const webhookSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(webhookKinds),
  /** null for a `host` channel. */
  url: z.string().nullable(),
  filters: webhookFilters,
  /** A `host` channel's targets; null for the URL kinds. */
  hosts: z.enum(hostTargets).nullable(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  /** null for a `host` channel, which signs nothing. */
  secretPrefix: z.string().nullable(),
  previousSecretExpiresAt: when.nullable(),
  createdAt: when,
  updatedAt: when,
});

export const withSecretSchema = webhookSchema.extend({ secret: z.string() });
/** What creating a channel answers: the secret, shown this once, for every kind but `host`. */
export const createdWebhookSchema = webhookSchema.extend({ secret: z.string().optional() });

export const deliverySchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventType: z.string(),
  incidentId: z.string().nullable(),
  repeat: z.boolean(),
  state: z.enum(deliveryStates),
  attempts: z.number().int(),
  createdAt: when,
  lastAttemptAt: when.nullable(),
  nextAttemptAt: when.nullable(),
  deliveredAt: when.nullable(),
});

export const attemptSchema = z.object({
  attempt: z.number().int(),
  at: when,
  status: z.number().int().nullable(),
  latencyMs: z.number().int().nullable(),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
});

export const deliveryDetailSchema = deliverySchema.extend({ body: z.string(), attemptLog: z.array(attemptSchema) });

export function webhookView(r: WebhookRow, now = Date.now()): z.infer<typeof webhookSchema> {
  const rotating = r.previousSecretExpiresAt !== null && r.previousSecretExpiresAt > now;
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    url: r.kind === 'host' ? null : r.url,
    filters: r.filters,
    hosts: r.kind === 'host' ? r.hosts : null,
    enabled: r.enabled,
    disabledReason: r.disabledReason,
    secretPrefix: r.kind === 'host' ? null : r.secretPrefix,
    previousSecretExpiresAt: rotating ? r.previousSecretExpiresAt : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export const deliveryView = (r: DeliveryRow): z.infer<typeof deliverySchema> => ({
  id: r.id,
  webhookId: r.webhookId,
  eventType: r.eventType,
  incidentId: r.incidentId,
  repeat: r.repeat,
  state: r.state,
  attempts: r.attempts,
  createdAt: r.createdAt,
  lastAttemptAt: r.lastAttemptAt,
  nextAttemptAt: r.nextAttemptAt,
  deliveredAt: r.deliveredAt,
});

export const attemptView = (r: AttemptRow): z.infer<typeof attemptSchema> => ({
  attempt: r.attempt,
  at: r.at,
  status: r.status,
  latencyMs: r.latencyMs,
  error: r.error,
  responseExcerpt: r.responseExcerpt,
});

/** For the audit log: a URL's path and query may hold a token, so only its origin is recorded. */
export const urlForAudit = (url: string) => (url === '' ? null : URL.canParse(url) ? new URL(url).origin : '(invalid)');

export const WEBHOOK_ID = 'whk_01jd5x3m7q2w8e4r';
export const DELIVERY_ID = 'dlv_4f1c9a0b7e2d5c8a6b3f9e1d';

export const webhookExample = {
  id: WEBHOOK_ID,
  name: 'On-call receiver',
  kind: 'generic',
  url: 'https://hooks.example.com/edgewatch',
  filters: { severities: ['critical'] },
  hosts: null,
  enabled: true,
  disabledReason: null,
  secretPrefix: 'whsec_MfKQ',
  previousSecretExpiresAt: null,
  createdAt: 1795000000000,
  updatedAt: 1795000000000,
};

export const SECRET_EXAMPLE = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3oHyJ0nCNPs=';

export const deliveryExample = {
  id: DELIVERY_ID,
  webhookId: WEBHOOK_ID,
  eventType: 'alert.firing',
  incidentId: 'inc_01jd5z9k2m',
  repeat: false,
  state: 'delivered',
  attempts: 2,
  createdAt: 1795000300000,
  lastAttemptAt: 1795000305400,
  nextAttemptAt: null,
  deliveredAt: 1795000305520,
};

export const attemptExamples = [
  {
    attempt: 1,
    at: 1795000300010,
    status: 503,
    latencyMs: 84,
    error: 'answered 503',
    responseExcerpt: 'upstream unavailable',
  },
  { attempt: 2, at: 1795000305400, status: 200, latencyMs: 120, error: null, responseExcerpt: '{"ok":true}' },
];
