import { and, eq, exists, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { auditInsert, auditInsertIf } from '../audit/record.ts';
import { newId } from '../credentials/crypto.ts';
import { controllerView, controllerViews, type ControllerView } from './controllers.ts';
import { pushGatewayConfig } from './push.ts';
import type { ControllerBody, ControllerPatch } from './schemas.ts';
import {
  assertGateway,
  assertSite,
  controllerNotFound,
  type ControllerRow,
  serialTaken,
  type SiteRow,
} from './store.ts';

const c = schema.controllers;

/** What the audit row keeps of a controller: what an operator sets. */
const audited = (row: ControllerRow) => ({
  serial: row.serial,
  label: row.label,
  siteId: row.siteId,
  gatewayDeviceId: row.gatewayDeviceId,
  ip: row.ip,
  port: row.port,
  modbusId: row.modbusId,
  timeoutMs: row.timeoutMs,
});

const isUniqueViolation = (err: unknown) => String((err as Error)?.message ?? err).includes('UNIQUE constraint failed');

async function assertSerialFree(env: Env, orgId: string, serial: number): Promise<void> {
  const taken = await db(env.DB)
    .select({ id: c.id })
    .from(c)
    .where(and(eq(c.orgId, orgId), eq(c.serial, serial)))
    .get();
  if (taken) throw serialTaken(serial);
}

/** Adds a controller by hand to a site; its gateway (if any) gets the new config. */
export async function createController(
  ctx: Context<AppEnv>,
  site: SiteRow,
  body: ControllerBody,
): Promise<ControllerView> {
  const { orgId } = ctx.var.caller;
  const d = db(ctx.env.DB);
  if (body.gatewayDeviceId) await assertGateway(d, orgId, body.gatewayDeviceId);
  await assertSerialFree(ctx.env, orgId, body.serial);
  const now = Date.now();
  const row: ControllerRow = {
    id: newId('ctl'),
    orgId,
    siteId: site.id,
    gatewayDeviceId: body.gatewayDeviceId ?? null,
    serial: body.serial,
    label: body.label ?? null,
    productId: body.productId ?? null,
    modbusId: body.modbusId,
    ip: body.ip,
    port: body.port,
    bacnetInstance: body.bacnetInstance ?? null,
    bacnetPort: body.bacnetPort ?? null,
    panelNumber: null,
    panelName: body.panelName ?? null,
    firmware: null,
    parentSerial: null,
    timeoutMs: body.timeoutMs ?? null,
    source: 'manual',
    discoveredAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await d.batch([
      d.insert(c).values(row),
      auditInsert(ctx, { targetType: 'controller', targetId: row.id, after: audited(row) }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw serialTaken(body.serial);
    throw err;
  }
  await pushGatewayConfig(ctx, [row.gatewayDeviceId]);
  return controllerView(row, { status: 'unknown', lastReadAt: null });
}

/** Changes a controller; the gateways it leaves and joins get their new config. */
export async function patchController(
  ctx: Context<AppEnv>,
  before: ControllerRow,
  patch: ControllerPatch,
): Promise<ControllerView> {
  const { orgId } = ctx.var.caller;
  const d = db(ctx.env.DB);
  if (patch.siteId !== undefined && patch.siteId !== before.siteId) await assertSite(d, orgId, patch.siteId);
  if (patch.gatewayDeviceId) await assertGateway(d, orgId, patch.gatewayDeviceId);
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const after: ControllerRow = { ...before, ...defined, updatedAt: Date.now() };
  const here = and(eq(c.id, before.id), eq(c.orgId, orgId));
  const [, updated] = await d.batch([
    auditInsertIf(
      ctx,
      { targetType: 'controller', targetId: before.id, before: audited(before), after: audited(after) },
      exists(
        d
          .select({ one: sql`1` })
          .from(c)
          .where(here),
      ),
    ),
    d
      .update(c)
      .set({
        label: after.label,
        siteId: after.siteId,
        gatewayDeviceId: after.gatewayDeviceId,
        ip: after.ip,
        port: after.port,
        modbusId: after.modbusId,
        timeoutMs: after.timeoutMs,
        bacnetInstance: after.bacnetInstance,
        bacnetPort: after.bacnetPort,
        updatedAt: after.updatedAt,
      })
      .where(here)
      .returning(),
  ]);
  if (updated.length === 0) throw controllerNotFound(before.id);
  const configChanged = (
    ['gatewayDeviceId', 'ip', 'port', 'modbusId', 'timeoutMs', 'bacnetInstance', 'bacnetPort'] as const
  ).some((k) => before[k] !== after[k]);
  if (configChanged) await pushGatewayConfig(ctx, [before.gatewayDeviceId, after.gatewayDeviceId]);
  const [view] = await controllerViews(ctx.env, orgId, [updated[0]!]);
  return view!;
}

/**
 * The entries of every trend log of the org, without those naming `controllerId`: one statement,
 * so it runs in the delete's batch.
 */
export function dropFromTrendLogs(d: ReturnType<typeof db>, orgId: string, controllerId: string, now: number) {
  const t = schema.trendLogs;
  type Entries = typeof t.points | typeof t.registers | typeof t.bacnet;
  const without = (column: Entries) =>
    sql`(SELECT json_group_array(json(value)) FROM json_each(${column}) WHERE value ->> 'controllerId' <> ${controllerId})`;
  const names = (column: Entries) =>
    sql`EXISTS (SELECT 1 FROM json_each(${column}) WHERE value ->> 'controllerId' = ${controllerId})`;
  return d
    .update(t)
    .set({ points: without(t.points), registers: without(t.registers), bacnet: without(t.bacnet), updatedAt: now })
    .where(and(eq(t.orgId, orgId), sql`(${names(t.points)} OR ${names(t.registers)} OR ${names(t.bacnet)})`));
}

/** Deletes a controller, its point labels (cascade) and its trend-log entries. */
export async function deleteController(ctx: Context<AppEnv>, row: ControllerRow): Promise<void> {
  const { orgId } = ctx.var.caller;
  const d = db(ctx.env.DB);
  const here = and(eq(c.id, row.id), eq(c.orgId, orgId));
  const [, , deleted] = await d.batch([
    auditInsertIf(
      ctx,
      { targetType: 'controller', targetId: row.id, before: audited(row) },
      exists(
        d
          .select({ one: sql`1` })
          .from(c)
          .where(here),
      ),
    ),
    dropFromTrendLogs(d, orgId, row.id, Date.now()),
    d.delete(c).where(here).returning({ id: c.id }),
  ]);
  if (deleted.length === 0) throw controllerNotFound(row.id);
  await pushGatewayConfig(ctx, [row.gatewayDeviceId]);
}
