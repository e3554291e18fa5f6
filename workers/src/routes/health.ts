import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { channelHubFor } from '../objects/channel-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { notFound } from '../errors.ts';
import { log } from '../services/log.ts';
import { snapshot } from '../services/meter/meter.ts';
import { meterOn } from '../services/meter/metered-env.ts';
import type { HealthPing } from '../services/queue-consumer.ts';

interface Check {
  ok: boolean;
  ms: number;
}

/** Runs one probe; its error goes to the log only, since this endpoint is public. */
async function timed(name: string, probe: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  try {
    await probe();
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    log.error('health check failed', { check: name, error: err instanceof Error ? err.message : String(err) });
    return { ok: false, ms: Date.now() - started };
  }
}

const check = z.strictObject({ ok: z.boolean(), ms: z.number().int().min(0) });
const checks = z.strictObject({ d1: check, durableObject: check, queue: check });
const deepHealthy = z.strictObject({ status: z.literal('ok'), checks });
const deepDegraded = z.strictObject({
  status: z.literal('degraded'),
  failing: z.array(z.enum(['d1', 'durableObject', 'queue'])).min(1),
  checks,
});
const meterQuery = z.strictObject({ reset: z.enum(['true', 'false']).optional() });
const meterSnapshot = z.strictObject({
  since: z.number().int(),
  at: z.number().int(),
  counters: z.record(z.string(), z.number()),
});
const meterExample = {
  since: 1795000000000,
  at: 1795000060000,
  counters: { 'd1.roundTrips.DeviceHub': 4, 'd1.statements.DeviceHub': 13, 'do.calls.DeviceHub.ingest.worker': 60 },
};

/** No parameters: an unknown one is a 400, as on every route. */
const noQuery = z.strictObject({});

const deepExample = {
  status: 'ok',
  checks: { d1: { ok: true, ms: 2 }, durableObject: { ok: true, ms: 4 }, queue: { ok: true, ms: 1 } },
};

/** `GET /health` (liveness) and `GET /health/deep` (D1, a Durable Object round trip, the queue). */
export const healthRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'getHealth',
      summary: 'Liveness: the Worker answers',
      tag: 'Health',
      auth: 'none',
      query: noQuery,
      example: {},
      responses: {
        200: {
          description: 'The Worker is up',
          schema: z.strictObject({ status: z.literal('ok'), time: z.number().int() }),
          example: { status: 'ok', time: 1795000000000 },
        },
      },
    }),
    (c) => c.json({ status: 'ok', time: Date.now() }),
  )
  .get(
    '/deep',
    doc({
      operationId: 'getDeepHealth',
      summary: 'Readiness: D1, Durable Objects and the alert queue answer',
      description:
        'Runs `SELECT 1` on D1, a round trip to a ChannelHub object, and sends a `health.ping` to ALERTS_QUEUE. 503 names the failing check.',
      tag: 'Health',
      auth: 'none',
      query: noQuery,
      example: {},
      responses: {
        200: { description: 'Every dependency answered', schema: deepHealthy, example: deepExample },
        503: {
          description: 'A dependency failed; `failing` names it and its check has `ok: false`',
          schema: deepDegraded,
          example: {
            status: 'degraded',
            failing: ['queue'],
            checks: { ...deepExample.checks, queue: { ok: false, ms: 3 } },
          },
        },
      },
    }),
    async (c) => {
      const [d1, durableObject, queue] = await Promise.all([
        timed('d1', () => db(c.env.DB).select({ id: schema.organisations.id }).from(schema.organisations).limit(1)),
        // A hub no org uses: the probe wakes no customer's object.
        timed('durableObject', () => channelHubFor(c.env, 'health').stats()),
        timed('queue', () => c.env.ALERTS_QUEUE.send({ type: 'health.ping', at: Date.now() } satisfies HealthPing)),
      ]);
      const checks = { d1, durableObject, queue };
      const failing = Object.entries(checks)
        .filter(([, check]) => !check.ok)
        .map(([name]) => name);
      if (failing.length === 0) return c.json({ status: 'ok', checks });
      return c.json({ status: 'degraded', failing, checks }, 503);
    },
  )
  .get(
    '/meter',
    doc({
      operationId: 'getMeter',
      summary: 'Usage counters of the answering isolate (only with METER on)',
      description:
        "For the capacity model (`npm run bench -- capacity`, docs/capacity.md): D1 round trips, statements, rows read and written and the database's own milliseconds, Durable Object calls by class and method, and alarms, each by the part that made them. Counts are per isolate, so they are whole only where one isolate runs everything (`wrangler dev`). `reset=true` starts counting again. With METER off (the default) this is a 404, and nothing is counted.",
      tag: 'Health',
      auth: 'none',
      query: meterQuery,
      example: { query: {} },
      responses: {
        200: { description: 'The counters since `since`', schema: meterSnapshot, example: meterExample },
        404: { description: 'METER is off', example: notFound('route').body() },
      },
    }),
    (c) => {
      if (!meterOn(c.env)) throw notFound('route');
      return c.json(snapshot(c.req.valid('query').reset === 'true'));
    },
  );
