import { and, asc, eq, exists, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { badRequest } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert, auditInsertIf } from '../services/audit/record.ts';
import { newId } from '../services/credentials/crypto.ts';
import {
  invalid400,
  notFound404,
  TREND_LOG_ID,
  trendLogBodyExample,
  trendLogExample,
  trendLogView as trendLogViewSchema,
} from '../services/sites/docs.ts';
import { pushGatewayConfig } from '../services/sites/push.ts';
import { trendLogBody, trendLogListQuery, trendLogParams, trendLogPatch } from '../services/sites/schemas.ts';
import {
  assertGateway,
  assertSite,
  loadTrendLog,
  trendLogNotFound,
  type TrendLogRow,
} from '../services/sites/store.ts';
import {
  checkEntries,
  gatewaysOfTrendLog,
  scopeOf,
  TREND_LOG_RULES,
  trendLogView,
  type TrendLogScope,
} from '../services/sites/trend-logs.ts';

const TAG = 'Trend logs';
const t = schema.trendLogs;
const DELIVERY =
  "A trend log reaches each gateway polling its controllers in the `gateway.trendLogs` section of that gateway's remote config (`GET /v1/agents/config`, whose ETag changes, and pushed over MQTT at once), with only that gateway's entries; the gateway applies it without a restart.";
const invalid = invalid400(
  badRequest(
    'invalid_input',
    'points.0.controllerId: no controller "ctl_x" in this organisation',
    'points.0.controllerId',
  ),
);

/** What the audit log records of a trend log: its view without the id and times. */
const body = (row: TrendLogRow) => {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = trendLogView(row);
  return rest;
};

const scopeOfRow = (row: TrendLogRow): TrendLogScope =>
  row.siteId !== null ? { siteId: row.siteId } : { gatewayDeviceId: row.gatewayDeviceId! };

/** `/v1/trend-logs`: what the gateways read and how often, defined once in the cloud. */
export const trendLogRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'listTrendLogs',
      summary: 'List trend logs',
      description: 'Ordered by name.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      query: trendLogListQuery,
      example: { query: { siteId: trendLogExample.siteId } },
      responses: {
        200: {
          description: 'The trend logs',
          schema: z.object({ trendLogs: z.array(trendLogViewSchema) }),
          example: { trendLogs: [trendLogExample] },
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const where = [eq(t.orgId, c.var.caller.orgId)];
      if (q.siteId !== undefined) where.push(eq(t.siteId, q.siteId));
      if (q.gatewayDeviceId !== undefined) where.push(eq(t.gatewayDeviceId, q.gatewayDeviceId));
      const rows = await db(c.env.DB)
        .select()
        .from(t)
        .where(and(...where))
        .orderBy(asc(t.name), asc(t.id))
        .all();
      return c.json({ trendLogs: rows.map(trendLogView) });
    },
  )
  .post(
    '/',
    doc({
      operationId: 'createTrendLog',
      summary: 'Create a trend log',
      description: `Points are T3 points (\`IN1\`…\`VAR128\`) of a controller; registers are raw Modbus registers in the gateway's register spec (\`register\`, \`address\`, \`type\`, \`byteOrder\`, \`scale\`, as Telegraf's \`inputs.modbus\`); \`bacnet\` entries are BACnet objects (\`analog-input:3\`) whose \`presentValue\` the gateway reads over BACnet/IP, as series \`bacnet_present_value{controller, object}\`. ${TREND_LOG_RULES} ${DELIVERY}`,
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      body: trendLogBody,
      example: { body: trendLogBodyExample },
      responses: {
        201: { description: 'The trend log', schema: trendLogViewSchema, example: trendLogExample },
        400: invalid,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const { orgId } = c.var.caller;
      const d = db(c.env.DB);
      const scope = scopeOf(input);
      if (scope.siteId !== undefined) await assertSite(d, orgId, scope.siteId);
      else await assertGateway(d, orgId, scope.gatewayDeviceId);
      const gateways = await checkEntries(d, orgId, scope, input);
      const now = Date.now();
      const row: TrendLogRow = {
        id: newId('tlg'),
        orgId,
        name: input.name,
        siteId: scope.siteId ?? null,
        gatewayDeviceId: scope.gatewayDeviceId ?? null,
        intervalSeconds: input.intervalSeconds,
        points: input.points,
        registers: input.registers,
        bacnet: input.bacnet,
        createdAt: now,
        updatedAt: now,
      };
      await d.batch([
        d.insert(t).values(row),
        auditInsert(c, { targetType: 'trend_log', targetId: row.id, after: body(row) }),
      ]);
      await pushGatewayConfig(c, gateways);
      return c.json(trendLogView(row), 201);
    },
  )
  .get(
    '/:id',
    doc({
      operationId: 'getTrendLog',
      summary: 'Get a trend log',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      params: trendLogParams,
      example: { params: { id: TREND_LOG_ID } },
      responses: {
        200: { description: 'The trend log', schema: trendLogViewSchema, example: trendLogExample },
        404: notFound404.trendLog,
      },
    }),
    async (c) => c.json(trendLogView(await loadTrendLog(db(c.env.DB), c.var.caller.orgId, c.req.valid('param').id))),
  )
  .patch(
    '/:id',
    doc({
      operationId: 'updateTrendLog',
      summary: 'Change a trend log',
      description: `Fields given replace the stored ones (\`points\`, \`registers\` and \`bacnet\` as whole lists); the scope stays. ${TREND_LOG_RULES} ${DELIVERY}`,
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: trendLogParams,
      body: trendLogPatch,
      example: { params: { id: TREND_LOG_ID }, body: { intervalSeconds: 300 } },
      responses: {
        200: {
          description: 'The trend log as changed',
          schema: trendLogViewSchema,
          example: { ...trendLogExample, intervalSeconds: 300 },
        },
        400: invalid,
        404: notFound404.trendLog,
      },
    }),
    async (c) => {
      const patch = c.req.valid('json');
      const { orgId } = c.var.caller;
      const d = db(c.env.DB);
      const before = await loadTrendLog(d, orgId, c.req.valid('param').id);
      const after: TrendLogRow = {
        ...before,
        ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
        updatedAt: Date.now(),
      };
      const gateways = await checkEntries(d, orgId, scopeOfRow(after), after);
      const previous = await gatewaysOfTrendLog(d, orgId, before);
      const here = and(eq(t.id, before.id), eq(t.orgId, orgId));
      const [, updated] = await d.batch([
        auditInsertIf(
          c,
          { targetType: 'trend_log', targetId: before.id, before: body(before), after: body(after) },
          exists(
            d
              .select({ one: sql`1` })
              .from(t)
              .where(here),
          ),
        ),
        d
          .update(t)
          .set({
            name: after.name,
            intervalSeconds: after.intervalSeconds,
            points: after.points,
            registers: after.registers,
            bacnet: after.bacnet,
            updatedAt: after.updatedAt,
          })
          .where(here)
          .returning(),
      ]);
      if (updated.length === 0) throw trendLogNotFound(before.id);
      await pushGatewayConfig(c, [...previous, ...gateways]);
      return c.json(trendLogView(updated[0]!));
    },
  )
  .delete(
    '/:id',
    doc({
      operationId: 'deleteTrendLog',
      summary: 'Delete a trend log',
      description: 'Its gateways stop polling its entries (through their remote config); the history stays.',
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: trendLogParams,
      example: { params: { id: TREND_LOG_ID } },
      responses: {
        200: { description: 'Deleted', schema: z.object({ id: z.string() }), example: { id: TREND_LOG_ID } },
        404: notFound404.trendLog,
      },
    }),
    async (c) => {
      const { orgId } = c.var.caller;
      const d = db(c.env.DB);
      const before = await loadTrendLog(d, orgId, c.req.valid('param').id);
      const gateways = await gatewaysOfTrendLog(d, orgId, before);
      const here = and(eq(t.id, before.id), eq(t.orgId, orgId));
      const [, deleted] = await d.batch([
        auditInsertIf(
          c,
          { targetType: 'trend_log', targetId: before.id, before: body(before) },
          exists(
            d
              .select({ one: sql`1` })
              .from(t)
              .where(here),
          ),
        ),
        d.delete(t).where(here).returning({ id: t.id }),
      ]);
      if (deleted.length === 0) throw trendLogNotFound(before.id);
      await pushGatewayConfig(c, gateways);
      return c.json({ id: before.id });
    },
  );
