import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { notFoundResponse } from '../openapi/responses.ts';
import { idParams } from '../services/http/query-schemas.ts';
import {
  concurrentChange,
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhooks,
  rotateSecret,
  sendTest,
  updateWebhook,
  webhookDisabled,
} from '../services/notify/channels.ts';
import { listDeliveries } from '../services/notify/delivery-log.ts';
import {
  createWebhookBody,
  deliveriesQuery,
  rotateSecretBody,
  updateWebhookBody,
} from '../services/notify/requests.ts';
import { webhooksNotConfigured, WebhookKeyError } from '../services/notify/secret-box.ts';
import { urlRefused } from '../services/notify/url-check.ts';
import {
  deliveryExample,
  deliverySchema,
  SECRET_EXAMPLE,
  WEBHOOK_ID,
  webhookExample,
  webhookSchema,
  webhookView,
  withSecretSchema,
  createdWebhookSchema,
} from '../services/notify/views.ts';

/** What every operation declares alike: tag and credential; only an admin manages channels. */
const CHANNELS = { tag: 'Notifications', auth: 'caller', permission: 'notifications.manage' } as const;
/** ...and every operation on one channel: its id in the path, and the id the examples use. */
const ONE_CHANNEL = { ...CHANNELS, params: idParams('webhook'), example: { params: { id: WEBHOOK_ID } } } as const;
const notFound404 = notFoundResponse('webhook', WEBHOOK_ID);
const urlRefused400 = {
  description:
    'Invalid input, `field` naming it; `url_not_allowed`: the URL is not https, or its host is or resolves to a non-public address',
  example: urlRefused("the webhook URL's host 10.0.0.1 is a private address").body(),
};
const notConfigured503 = {
  description: 'The deployment lacks the WEBHOOK_SECRETS_KEY secret, so no signing secret can be stored',
  example: webhooksNotConfigured(new WebhookKeyError('is not set')).body(),
};
const withSecretExample = { ...webhookExample, secret: SECRET_EXAMPLE };

/** `/v1/webhooks`: notification channels, their signing secrets, test events and delivery logs. */
export const webhooksRoutes = new Hono<AppEnv>()
  .post(
    '/',
    doc({
      operationId: 'createWebhook',
      summary: 'Create a notification channel',
      description:
        'Incidents reach the channel as signed POSTs (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`). ' +
        'The answer shows the signing `secret` (`whsec_…`) this once; it is stored encrypted. `filters` narrow what the channel receives ' +
        '(severities, rules, sites, devices, tags; each given filter must hold). ' +
        'A channel of kind `host` has no URL and no secret: each incident transition it passes becomes a notice for the devices it targets ' +
        "(`hosts`: every device its filters cover, or only the incident's own), delivered to their agents with their config " +
        '(`GET /v1/agents/config`, the MQTT config topic). See docs/alerts.md.',
      ...CHANNELS,
      body: createWebhookBody,
      example: {
        body: {
          name: 'On-call receiver',
          kind: 'generic',
          url: 'https://hooks.example.com/edgewatch',
          filters: { severities: ['critical'] },
        },
      },
      responses: {
        201: {
          description: 'The channel, with its secret shown this once (a host channel has none)',
          schema: createdWebhookSchema,
          example: withSecretExample,
        },
        400: urlRefused400,
        503: notConfigured503,
      },
    }),
    async (c) => c.json(await createWebhook(c, c.req.valid('json')), 201),
  )
  .get(
    '/',
    doc({
      operationId: 'listWebhooks',
      summary: "List the organisation's notification channels",
      description:
        'Secrets are never shown again, only their first characters (`secretPrefix`). URLs may hold tokens, so reading them needs the same permission as changing them.',
      ...CHANNELS,
      example: {},
      responses: {
        200: {
          description: 'Newest first',
          schema: z.object({ webhooks: z.array(webhookSchema) }),
          example: { webhooks: [webhookExample] },
        },
      },
    }),
    async (c) => c.json({ webhooks: await listWebhooks(c) }),
  )
  .get(
    '/:id',
    doc({
      operationId: 'getWebhook',
      summary: 'Read a notification channel',
      ...ONE_CHANNEL,
      responses: {
        200: { description: 'The channel', schema: webhookSchema, example: webhookExample },
        404: notFound404,
      },
    }),
    async (c) => c.json(webhookView(await findWebhook(c, c.req.valid('param').id))),
  )
  .patch(
    '/:id',
    doc({
      operationId: 'updateWebhook',
      summary: 'Change a notification channel',
      description:
        'Name, URL (checked like on create), filters, `hosts`, enabled. The kind is fixed: `url` is for the URL kinds only and `hosts` for a host channel only; ' +
        'the other kind answers 400 (`invalid_input`, `field` naming it). Enabling a channel the platform disabled (its receiver answered 410 Gone) clears `disabledReason`.',
      ...ONE_CHANNEL,
      body: updateWebhookBody,
      example: {
        ...ONE_CHANNEL.example,
        body: { enabled: true, filters: { severities: ['warning', 'critical'] } },
      },
      responses: {
        200: { description: 'The changed channel', schema: webhookSchema, example: webhookExample },
        400: urlRefused400,
        404: notFound404,
      },
    }),
    async (c) => c.json(await updateWebhook(c, c.req.valid('param').id, c.req.valid('json'))),
  )
  .delete(
    '/:id',
    doc({
      operationId: 'deleteWebhook',
      summary: 'Delete a notification channel and its delivery log',
      ...ONE_CHANNEL,
      responses: { 204: { description: 'Deleted; pending retries are dropped' }, 404: notFound404 },
    }),
    async (c) => {
      await deleteWebhook(c, c.req.valid('param').id);
      return c.body(null, 204);
    },
  )
  .post(
    '/:id/rotate-secret',
    doc({
      operationId: 'rotateWebhookSecret',
      summary: "Replace a channel's signing secret",
      description:
        'The new secret is shown this once. For `graceSeconds` (default 24 h, at most 7 days) the previous secret signs too: ' +
        '`webhook-signature` carries `v1,<new> v1,<previous>`, so receivers can switch without missing a message.',
      ...ONE_CHANNEL,
      body: rotateSecretBody,
      example: { ...ONE_CHANNEL.example, body: { graceSeconds: 3600 } },
      responses: {
        200: {
          description: 'The channel with its new secret, shown this once',
          schema: withSecretSchema,
          example: { ...withSecretExample, previousSecretExpiresAt: 1795003600000 },
        },
        404: notFound404,
        409: {
          description:
            'Another rotation of this secret happened at the same time; `not_supported`: a host channel has no secret',
          example: concurrentChange(`the secret of webhook "${WEBHOOK_ID}"`).body(),
        },
        503: notConfigured503,
      },
    }),
    async (c) => c.json(await rotateSecret(c, c.req.valid('param').id, c.req.valid('json').graceSeconds)),
  )
  .post(
    '/:id/test',
    doc({
      operationId: 'testWebhook',
      summary: 'Send a signed test event to a channel',
      description:
        'Queues a `webhook.test` event, delivered like any notification (signed, retried, logged); its `id` is the `webhook-id` the receiver sees. Follow it with GET /v1/deliveries/{id}.',
      ...ONE_CHANNEL,
      responses: {
        202: {
          description: 'The delivery, pending',
          schema: deliverySchema,
          example: {
            ...deliveryExample,
            eventType: 'webhook.test',
            incidentId: null,
            state: 'pending',
            attempts: 0,
            lastAttemptAt: null,
            deliveredAt: null,
          },
        },
        404: notFound404,
        409: {
          description: 'The channel is disabled; `not_supported`: a host channel (its notices need an incident)',
          example: webhookDisabled(WEBHOOK_ID).body(),
        },
      },
    }),
    async (c) => c.json(await sendTest(c, c.req.valid('param').id), 202),
  )
  .get(
    '/:id/deliveries',
    doc({
      operationId: 'listWebhookDeliveries',
      summary: "A channel's delivery log",
      description:
        'Deliveries newest first (none for a host channel: its notices are not deliveries), each with its state (`pending`, `delivered`, `failed` after 410 Gone, `dead` after the last retry), attempt count and times. Page with `nextCursor`; GET /v1/deliveries/{id} has the attempts.',
      ...ONE_CHANNEL,
      query: deliveriesQuery,
      example: { ...ONE_CHANNEL.example, query: { limit: 50 } },
      responses: {
        200: {
          description: 'One page, newest first',
          schema: z.object({ deliveries: z.array(deliverySchema), nextCursor: z.string().nullable() }),
          example: { deliveries: [deliveryExample], nextCursor: null },
        },
        404: notFound404,
      },
    }),
    async (c) => c.json(await listDeliveries(c, c.req.valid('param').id, c.req.valid('query'))),
  );
