import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { notFoundResponse } from '../openapi/responses.ts';
import { idParams } from '../services/http/query-schemas.ts';
import { deliveryPending, getDelivery, redeliver } from '../services/notify/delivery-log.ts';
import {
  attemptExamples,
  DELIVERY_ID,
  deliveryDetailSchema,
  deliveryExample,
  deliverySchema,
} from '../services/notify/views.ts';

/** What both operations declare alike: tag, credential (deliveries belong to channels, which admins manage), the id. */
const ONE_DELIVERY = {
  tag: 'Notifications',
  auth: 'caller',
  permission: 'notifications.manage',
  params: idParams('delivery'),
  example: { params: { id: DELIVERY_ID } },
} as const;
const notFound404 = notFoundResponse('delivery', DELIVERY_ID);

const bodyExample = JSON.stringify({
  type: 'alert.firing',
  timestamp: '2026-11-19T07:05:00.000Z',
  data: { transition: 'firing', repeat: false },
});

/** `/v1/deliveries`: one delivery of the log with its attempts, and redelivery. */
export const deliveriesRoutes = new Hono<AppEnv>()
  .get(
    '/:id',
    doc({
      operationId: 'getDelivery',
      summary: 'A delivery with its body and every attempt',
      description:
        'Each attempt: when, the final HTTP status (null when no answer came: timeout, connection error, refused by the SSRF guard), latency, the error, and at most 1 KB of the answer.',
      ...ONE_DELIVERY,
      responses: {
        200: {
          description: 'The delivery',
          schema: deliveryDetailSchema,
          example: { ...deliveryExample, body: bodyExample, attemptLog: attemptExamples },
        },
        404: notFound404,
      },
    }),
    async (c) => c.json(await getDelivery(c, c.req.valid('param').id)),
  )
  .post(
    '/:id/redeliver',
    doc({
      operationId: 'redeliver',
      summary: 'Send a delivery again',
      description:
        'Starts a new series of attempts (the retry schedule from the start) with the same `webhook-id` and body, so a receiver that already has it can drop it. Only a settled delivery (delivered, failed or dead) of an enabled channel.',
      ...ONE_DELIVERY,
      responses: {
        202: {
          description: 'The delivery, pending again',
          schema: deliverySchema,
          example: { ...deliveryExample, state: 'pending', deliveredAt: null },
        },
        404: notFound404,
        409: {
          description: '`delivery_pending`: it is still being delivered; `webhook_disabled`: its channel is disabled',
          example: deliveryPending(DELIVERY_ID).body(),
        },
      },
    }),
    async (c) => c.json(await redeliver(c, c.req.valid('param').id), 202),
  );
