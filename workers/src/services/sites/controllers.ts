import { GATEWAY_METRICS } from '../../../../schema/wire/gateway.ts';
import { and, eq, inArray, or } from 'drizzle-orm';
import type { LatestValue } from '../../../../schema/wire/telemetry.ts';
import { db, schema } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { byController, controllerHealth, controllerLabel, type ControllerStatus } from './health.ts';
import type { ControllerRow } from './store.ts';
import type { ControllerView } from './views.ts';

export type { ControllerView };

/** The health samples a controller's status is made of. */
const HEALTH_METRICS = [GATEWAY_METRICS.up, GATEWAY_METRICS.lastSuccess];

/**
 * Each gateway's latest controller-health values, read once per gateway from its DeviceHub (never
 * from a controller); only the health series, not the thousands of points a gateway may hold.
 */
export async function latestOfGateways(env: Env, gatewayIds: readonly string[]): Promise<Map<string, LatestValue[]>> {
  const ids = [...new Set(gatewayIds)];
  const values = await Promise.all(ids.map((id) => deviceHubFor(env, id).latest({ metrics: HEALTH_METRICS })));
  return new Map(ids.map((id, i) => [id, values[i]!]));
}

/** The shortest trend-log interval polling each controller: how fresh its health samples should be. */
async function pollIntervals(env: Env, orgId: string, rows: readonly ControllerRow[]): Promise<Map<string, number>> {
  const t = schema.trendLogs;
  const sites = [...new Set(rows.map((r) => r.siteId))];
  const gateways = [...new Set(rows.flatMap((r) => (r.gatewayDeviceId ? [r.gatewayDeviceId] : [])))];
  if (rows.length === 0) return new Map();
  const logs = await db(env.DB)
    .select({ intervalSeconds: t.intervalSeconds, points: t.points, registers: t.registers })
    .from(t)
    .where(
      and(
        eq(t.orgId, orgId),
        or(inArray(t.siteId, sites), gateways.length > 0 ? inArray(t.gatewayDeviceId, gateways) : undefined),
      ),
    )
    .all();
  const shortest = new Map<string, number>();
  for (const log of logs) {
    for (const entry of [...log.points, ...log.registers]) {
      const was = shortest.get(entry.controllerId);
      if (was === undefined || log.intervalSeconds < was) shortest.set(entry.controllerId, log.intervalSeconds);
    }
  }
  return shortest;
}

/** Views of controllers with their status, from their gateways' health samples. */
export async function controllerViews(
  env: Env,
  orgId: string,
  rows: readonly ControllerRow[],
  now = Date.now(),
): Promise<ControllerView[]> {
  const gatewayIds = rows.flatMap((r) => (r.gatewayDeviceId ? [r.gatewayDeviceId] : []));
  const [latest, intervals] = await Promise.all([latestOfGateways(env, gatewayIds), pollIntervals(env, orgId, rows)]);
  const grouped = new Map([...latest].map(([id, values]) => [id, byController(values)]));
  return rows.map((row) => {
    const values = row.gatewayDeviceId ? grouped.get(row.gatewayDeviceId)?.get(controllerLabel(row.serial)) : undefined;
    return controllerView(row, controllerHealth(values, now, intervals.get(row.id)));
  });
}

export function controllerView(
  row: ControllerRow,
  health: { status: ControllerStatus; lastReadAt: number | null },
): ControllerView {
  return {
    id: row.id,
    siteId: row.siteId,
    gatewayDeviceId: row.gatewayDeviceId,
    serial: row.serial,
    label: row.label,
    productId: row.productId,
    modbusId: row.modbusId,
    ip: row.ip,
    port: row.port,
    bacnetInstance: row.bacnetInstance,
    bacnetPort: row.bacnetPort,
    panelNumber: row.panelNumber,
    panelName: row.panelName,
    firmware: row.firmware,
    parentSerial: row.parentSerial,
    timeoutMs: row.timeoutMs,
    source: row.source,
    discoveredAt: row.discoveredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...health,
  };
}

/** Controllers of one site, by serial. */
export function siteControllers(env: Env, orgId: string, siteId: string) {
  const c = schema.controllers;
  return db(env.DB)
    .select()
    .from(c)
    .where(and(eq(c.orgId, orgId), eq(c.siteId, siteId)))
    .orderBy(c.serial)
    .all();
}
