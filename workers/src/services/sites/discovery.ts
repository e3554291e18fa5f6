import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DiscoveredControllerReport, DiscoveryReport } from '../../../../schema/wire/gateway.ts';
import { db, schema } from '../../db.ts';
import { ApiError } from '../../errors.ts';
import { newId } from '../credentials/crypto.ts';
import { batchWithRaw } from './store.ts';

export const notAGateway = (deviceId: string) =>
  new ApiError(
    409,
    'not_a_gateway',
    `device "${deviceId}" is not a gateway: only gateways report discovered controllers`,
  );
export const gatewayWithoutSite = (deviceId: string) =>
  new ApiError(
    409,
    'gateway_without_site',
    `gateway "${deviceId}" has no site: assign it to one (PATCH /v1/devices/${deviceId} {"siteId": …}) so its controllers have a place`,
  );

/** What discovery says about a controller, as its columns. */
function discovered(c: DiscoveredControllerReport) {
  // A controller configured without an address reports 0.0.0.0; where its reply came from is reachable.
  const fromReply = c.replyFrom?.replace(/:\d+$/, '');
  return {
    productId: c.productId,
    modbusId: c.modbusId,
    ip: c.ip === '0.0.0.0' && fromReply ? fromReply : c.ip,
    // Port 0 is no Modbus TCP port: the standard one is the best guess.
    port: c.port === 0 ? 502 : c.port,
    firmware: c.firmware,
    parentSerial: c.parentSerial,
    panelNumber: c.panelNumber,
    panelName: c.panelName,
    bacnetInstance: c.bacnetInstance,
    bacnetPort: c.bacnetPort,
  };
}
type Discovered = ReturnType<typeof discovered>;
const FIELDS = Object.keys(discovered({ ip: '', port: 0 } as DiscoveredControllerReport)) as (keyof Discovered)[];

export interface DiscoveryResult {
  created: number;
  updated: number;
  unchanged: number;
  controllers: { serial: number; id: string }[];
  /** Gateways whose config changed: the reporter when a controller of it was added or moved. */
  gateways: string[];
}

/**
 * Upserts a gateway's discovery round by serial number into its site. A new controller joins the
 * gateway's site and is polled by it; a known one (by serial, anywhere in the org) gets what the
 * controller now reports, keeps its site, label and gateway (or takes this one if it had none).
 * Reporting the same round twice changes nothing.
 */
export async function upsertDiscovered(
  env: Env,
  orgId: string,
  deviceId: string,
  report: DiscoveryReport,
): Promise<DiscoveryResult> {
  const d = db(env.DB);
  const dev = schema.devices;
  const c = schema.controllers;
  const gateway = await d
    .select({ kind: dev.kind, siteId: dev.siteId })
    .from(dev)
    .where(and(eq(dev.id, deviceId), eq(dev.orgId, orgId)))
    .get();
  if (!gateway || gateway.kind !== 'gateway') throw notAGateway(deviceId);
  if (gateway.siteId === null) throw gatewayWithoutSite(deviceId);
  const serials = report.controllers.map((r) => r.serial);
  const bySerial = sql`(SELECT value FROM json_each(${JSON.stringify(serials)}))`;
  const known =
    serials.length === 0
      ? []
      : await d
          .select()
          .from(c)
          .where(and(eq(c.orgId, orgId), inArray(c.serial, bySerial)))
          .all();
  const existing = new Map(known.map((row) => [row.serial, row]));
  const now = Date.now();
  const at = report.at ?? now;
  const writes: Record<string, unknown>[] = [];
  let created = 0;
  let updated = 0;
  let configChanged = false;
  for (const found of report.controllers) {
    const fields = discovered(found);
    const row = existing.get(found.serial);
    const changed = !row || FIELDS.some((k) => row[k] !== fields[k]) || row.gatewayDeviceId === null;
    if (!changed) continue;
    if (!row) created++;
    else updated++;
    const pollsIt = !row || row.gatewayDeviceId === null || row.gatewayDeviceId === deviceId;
    if (
      pollsIt &&
      (!row ||
        row.gatewayDeviceId === null ||
        row.ip !== fields.ip ||
        row.port !== fields.port ||
        row.modbusId !== fields.modbusId ||
        row.bacnetInstance !== fields.bacnetInstance ||
        row.bacnetPort !== fields.bacnetPort)
    ) {
      configChanged = true;
    }
    writes.push({ id: newId('ctl'), serial: found.serial, ...fields });
  }
  const statements: Parameters<typeof batchWithRaw>[1][number][] = [];
  if (writes.length > 0) {
    // One statement for the round (a JSON parameter, clear of D1's 100-parameter cap); ON CONFLICT
    // makes two gateways reporting one new controller at once agree on a single row.
    statements.push(
      sql`INSERT INTO controllers (id, org_id, site_id, gateway_device_id, serial, product_id, modbus_id, ip, port,
          firmware, parent_serial, panel_number, panel_name, bacnet_instance, bacnet_port, source, discovered_at,
          created_at, updated_at)
        SELECT value ->> 'id', ${orgId}, ${gateway.siteId}, ${deviceId}, value ->> 'serial', value ->> 'productId',
          value ->> 'modbusId', value ->> 'ip', value ->> 'port', value ->> 'firmware', value ->> 'parentSerial',
          value ->> 'panelNumber', value ->> 'panelName', value ->> 'bacnetInstance', value ->> 'bacnetPort',
          'discovery', ${at}, ${now}, ${now}
        FROM json_each(${JSON.stringify(writes)})
        WHERE EXISTS (SELECT 1 FROM sites WHERE id = ${gateway.siteId} AND org_id = ${orgId})
        ON CONFLICT (org_id, serial) DO UPDATE SET
          product_id = excluded.product_id, modbus_id = excluded.modbus_id, ip = excluded.ip, port = excluded.port,
          firmware = excluded.firmware, parent_serial = excluded.parent_serial, panel_number = excluded.panel_number,
          panel_name = excluded.panel_name, bacnet_instance = excluded.bacnet_instance,
          bacnet_port = excluded.bacnet_port, discovered_at = excluded.discovered_at, updated_at = excluded.updated_at,
          gateway_device_id = COALESCE(controllers.gateway_device_id, excluded.gateway_device_id)`,
    );
  }
  if (serials.length > 0) {
    statements.push(
      d
        .update(c)
        .set({ discoveredAt: at })
        .where(and(eq(c.orgId, orgId), inArray(c.serial, bySerial))),
    );
  }
  if (statements.length > 0) await batchWithRaw(env, statements);
  const rows =
    serials.length === 0
      ? []
      : await d
          .select({ serial: c.serial, id: c.id })
          .from(c)
          .where(and(eq(c.orgId, orgId), inArray(c.serial, bySerial)))
          .all();
  const ids = new Map(rows.map((r) => [r.serial, r.id]));
  return {
    created,
    updated,
    unchanged: report.controllers.length - created - updated,
    controllers: serials.flatMap((serial) => (ids.has(serial) ? [{ serial, id: ids.get(serial)! }] : [])),
    gateways: configChanged ? [deviceId] : [],
  };
}
