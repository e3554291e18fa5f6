import { and, eq, inArray, sql } from 'drizzle-orm';
import type { TrendLogBacnet, TrendLogPoint, TrendLogRegister } from '../../../../schema/tables/sites.ts';
import { type Db, schema } from '../../db.ts';
import { badRequest } from '../../errors.ts';
import type { TrendLogRow } from './store.ts';

/** Where a trend log's entries must be: at a site, or polled by one gateway. */
export type TrendLogScope =
  { siteId: string; gatewayDeviceId?: undefined } | { gatewayDeviceId: string; siteId?: undefined };

export const TREND_LOG_RULES =
  'Give exactly one of `siteId` and `gatewayDeviceId`. Every entry names a controller of the organisation at that site (or polled by that gateway); a point appears once per controller, a register name once per controller, and a BACnet object once per controller. ' +
  'A BACnet entry needs a controller with a BACnet instance (from discovery, or `bacnetInstance` when created by hand); the gateway reads it at `bacnetPort`, else 47808.';

/** The scope of a create body: 400 unless exactly one of siteId and gatewayDeviceId is given. */
export function scopeOf(body: { siteId?: string; gatewayDeviceId?: string }): TrendLogScope {
  if ((body.siteId === undefined) === (body.gatewayDeviceId === undefined)) {
    throw badRequest('invalid_input', 'siteId: give exactly one of siteId and gatewayDeviceId', 'siteId');
  }
  return body.siteId !== undefined ? { siteId: body.siteId } : { gatewayDeviceId: body.gatewayDeviceId! };
}

/** A trend log's entries, by kind. */
export interface TrendLogEntries {
  points: readonly TrendLogPoint[];
  registers: readonly TrendLogRegister[];
  bacnet: readonly TrendLogBacnet[];
}

const controllerIdsOf = (e: TrendLogEntries) => [
  ...new Set([...e.points, ...e.registers, ...e.bacnet].map((x) => x.controllerId)),
];

/**
 * Checks every entry's controller against the org and the scope, in one query (ids as a JSON
 * parameter, so a long list stays clear of D1's 100-parameter cap). Returns the controllers'
 * gateways, which must get the new config.
 */
export async function checkEntries(
  d: Db,
  orgId: string,
  scope: TrendLogScope,
  entries: TrendLogEntries,
): Promise<string[]> {
  const c = schema.controllers;
  const ids = controllerIdsOf(entries);
  if (ids.length === 0) return [];
  const rows = await d
    .select({ id: c.id, siteId: c.siteId, gatewayDeviceId: c.gatewayDeviceId, bacnetInstance: c.bacnetInstance })
    .from(c)
    .where(and(eq(c.orgId, orgId), inArray(c.id, sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`)))
    .all();
  const found = new Map(rows.map((r) => [r.id, r]));
  const check = (list: readonly { controllerId: string }[], name: string) =>
    list.forEach((entry, i) => {
      const field = `${name}.${i}.controllerId`;
      const row = found.get(entry.controllerId);
      if (!row)
        throw badRequest(
          'invalid_input',
          `${field}: no controller "${entry.controllerId}" in this organisation`,
          field,
        );
      if (scope.siteId !== undefined && row.siteId !== scope.siteId) {
        throw badRequest('invalid_input', `${field}: controller "${row.id}" is not at site "${scope.siteId}"`, field);
      }
      if (scope.gatewayDeviceId !== undefined && row.gatewayDeviceId !== scope.gatewayDeviceId) {
        throw badRequest(
          'invalid_input',
          `${field}: controller "${row.id}" is not polled by gateway "${scope.gatewayDeviceId}"`,
          field,
        );
      }
    });
  check(entries.points, 'points');
  check(entries.registers, 'registers');
  check(entries.bacnet, 'bacnet');
  entries.bacnet.forEach((entry, i) => {
    if (found.get(entry.controllerId)!.bacnetInstance === null) {
      const field = `bacnet.${i}.controllerId`;
      throw badRequest(
        'invalid_input',
        `${field}: controller "${entry.controllerId}" has no BACnet instance (discovery reports it, or set bacnetInstance)`,
        field,
      );
    }
  });
  return [...new Set(rows.flatMap((r) => (r.gatewayDeviceId ? [r.gatewayDeviceId] : [])))];
}

export function trendLogView(row: TrendLogRow) {
  return {
    id: row.id,
    name: row.name,
    siteId: row.siteId,
    gatewayDeviceId: row.gatewayDeviceId,
    intervalSeconds: row.intervalSeconds,
    points: row.points,
    registers: row.registers,
    bacnet: row.bacnet,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The gateways of a stored trend log's controllers (and its own gateway): those whose config it is part of. */
export async function gatewaysOfTrendLog(d: Db, orgId: string, row: TrendLogRow): Promise<string[]> {
  const c = schema.controllers;
  const ids = controllerIdsOf(row);
  const rows =
    ids.length === 0
      ? []
      : await d
          .selectDistinct({ id: c.gatewayDeviceId })
          .from(c)
          .where(and(eq(c.orgId, orgId), inArray(c.id, sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`)))
          .all();
  return [
    ...new Set([...rows.flatMap((r) => (r.id ? [r.id] : [])), ...(row.gatewayDeviceId ? [row.gatewayDeviceId] : [])]),
  ];
}
