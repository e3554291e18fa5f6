import { and, eq, SQL } from 'drizzle-orm';
import { type Db, schema, statement } from '../../db.ts';
import { ApiError, badRequest, notFound } from '../../errors.ts';

export type SiteRow = typeof schema.sites.$inferSelect;
export type ControllerRow = typeof schema.controllers.$inferSelect;
export type TrendLogRow = typeof schema.trendLogs.$inferSelect;

export const siteNotFound = (id: string) => notFound(`site "${id}"`);
export const controllerNotFound = (id: string) => notFound(`controller "${id}"`);
export const trendLogNotFound = (id: string) => notFound(`trend log "${id}"`);
export const serialTaken = (serial: number) =>
  new ApiError(409, 'serial_taken', `serial: a controller with serial ${serial} is already in this organisation`, {
    field: 'serial',
  });

/** A site of the caller's org, or 404: another org's site is indistinguishable from none. */
export async function loadSite(d: Db, orgId: string, id: string): Promise<SiteRow> {
  const row = await d
    .select()
    .from(schema.sites)
    .where(and(eq(schema.sites.id, id), eq(schema.sites.orgId, orgId)))
    .get();
  if (!row) throw siteNotFound(id);
  return row;
}

export async function loadController(d: Db, orgId: string, id: string): Promise<ControllerRow> {
  const c = schema.controllers;
  const row = await d
    .select()
    .from(c)
    .where(and(eq(c.id, id), eq(c.orgId, orgId)))
    .get();
  if (!row) throw controllerNotFound(id);
  return row;
}

export async function loadTrendLog(d: Db, orgId: string, id: string): Promise<TrendLogRow> {
  const t = schema.trendLogs;
  const row = await d
    .select()
    .from(t)
    .where(and(eq(t.id, id), eq(t.orgId, orgId)))
    .get();
  if (!row) throw trendLogNotFound(id);
  return row;
}

/** A site named in a body: 400 naming `field` when it is not the caller's. */
export async function assertSite(d: Db, orgId: string, siteId: string, field = 'siteId'): Promise<SiteRow> {
  const row = await d
    .select()
    .from(schema.sites)
    .where(and(eq(schema.sites.id, siteId), eq(schema.sites.orgId, orgId)))
    .get();
  if (!row) throw badRequest('invalid_input', `${field}: no site "${siteId}" in this organisation`, field);
  return row;
}

/** A gateway device named in a body: 400 naming `field` unless it is a gateway of the caller's org. */
export async function assertGateway(d: Db, orgId: string, deviceId: string, field = 'gatewayDeviceId') {
  const dev = schema.devices;
  const row = await d
    .select({ id: dev.id, siteId: dev.siteId })
    .from(dev)
    .where(and(eq(dev.id, deviceId), eq(dev.orgId, orgId), eq(dev.kind, 'gateway')))
    .get();
  if (!row) throw badRequest('invalid_input', `${field}: no gateway "${deviceId}" in this organisation`, field);
  return row;
}

/**
 * Runs raw SQL (`json_each` bulk upserts) and drizzle queries (audit rows) in one D1 batch, one
 * transaction: drizzle's own `batch()` takes no raw SQL.
 */
export function batchWithRaw(
  env: Env,
  items: readonly (SQL | { toSQL(): { sql: string; params: unknown[] } })[],
): Promise<D1Result[]> {
  return env.DB.batch(
    items.map((q) => {
      if (q instanceof SQL) return statement(env.DB, q);
      const { sql, params } = q.toSQL();
      return env.DB.prepare(sql).bind(...params);
    }),
  );
}
