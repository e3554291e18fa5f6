import { z } from 'zod';
import { deliveryStates, webhookKinds } from '../../../../schema/tables/alerts.ts';
import { webhookFilters } from '../../../../schema/wire/alerts.ts';
import { cursorParam, pageLimit } from '../http/query-schemas.ts';
import { nonBlank } from '../../../../schema/wire/text.ts';

/** What the `/v1/webhooks` routes accept: bodies and the delivery log's query. */

const name = nonBlank('name is required, e.g. "On-call Slack"').max(100);
const url = z
  .string()
  .max(2000)
  .regex(/^https?:\/\/\S+$/i, 'a webhook URL starts with https://, e.g. https://hooks.example.com/edgewatch')
  .describe(
    'https (http only for targets ALLOW_PRIVATE_WEBHOOKS allows). Refused (400 `url_not_allowed`) when the host is, or resolves to, a loopback, private, link-local or other non-public address: the SSRF guard, applied again before every attempt.',
  );

export const createWebhookBody = z.strictObject({
  name,
  kind: z.enum(webhookKinds).default('generic').describe('Body format: Standard Webhooks JSON, Slack or Discord'),
  url,
  filters: webhookFilters.default({}),
  enabled: z.boolean().default(true),
});
export const updateWebhookBody = z.strictObject({
  name: name.optional(),
  url: url.optional(),
  filters: webhookFilters.optional(),
  enabled: z.boolean().optional().describe('`true` also clears `disabledReason`'),
});
export const rotateSecretBody = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400)
    .describe('How long the previous secret keeps signing beside the new one; 0 ends it now'),
});
export const deliveriesQuery = z.strictObject({
  state: z.enum(deliveryStates).optional(),
  cursor: cursorParam.optional(),
  limit: pageLimit(50, 200),
});
