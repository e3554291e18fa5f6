import { and, asc, eq, inArray, isNotNull, or } from 'drizzle-orm';
import type { GatewayConfig } from '../../../../schema/wire/gateway.ts';
import { db, schema } from '../../db.ts';
import { controllerLabel } from './health.ts';

/** Per-request timeout the gateway uses for a controller that sets none. */
export const DEFAULT_CONTROLLER_TIMEOUT_MS = 5000;
/** Discovery of a site that sets nothing; a gateway without a site does not discover. */
const DEFAULT_DISCOVERY_SECONDS = 600;
/** BACnet/IP's standard UDP port, for a controller with an instance but no port recorded. */
export const DEFAULT_BACNET_PORT = 47_808;

/**
 * The `gateway` section of a gateway's remote config, from D1: the controllers it polls, the
 * entries of the trend logs on them (a site's trend log can span several gateways: each gets
 * its own controllers' entries), and its site's discovery settings. Ordered, so equal data gives
 * an equal ETag.
 */
export async function gatewayConfigFor(env: Env, orgId: string, deviceId: string): Promise<GatewayConfig> {
  const d = db(env.DB);
  const c = schema.controllers;
  const t = schema.trendLogs;
  const sitesOfItsControllers = d
    .selectDistinct({ id: c.siteId })
    .from(c)
    .where(and(eq(c.orgId, orgId), eq(c.gatewayDeviceId, deviceId)));
  const [device, controllers, trendLogs] = await d.batch([
    d
      .select({ site: schema.sites })
      .from(schema.devices)
      .leftJoin(schema.sites, eq(schema.sites.id, schema.devices.siteId))
      .where(and(eq(schema.devices.id, deviceId), eq(schema.devices.orgId, orgId))),
    d
      .select()
      .from(c)
      .where(and(eq(c.orgId, orgId), eq(c.gatewayDeviceId, deviceId)))
      .orderBy(asc(c.serial)),
    d
      .select()
      .from(t)
      .where(
        and(
          eq(t.orgId, orgId),
          or(eq(t.gatewayDeviceId, deviceId), and(isNotNull(t.siteId), inArray(t.siteId, sitesOfItsControllers))),
        ),
      )
      .orderBy(asc(t.id)),
  ]);
  const site = device[0]?.site ?? null;
  const labelOf = new Map(controllers.map((row) => [row.id, controllerLabel(row.serial)]));
  const bacnetLabelOf = new Map(
    controllers.flatMap((row) => (row.bacnetInstance === null ? [] : [[row.id, controllerLabel(row.serial)]])),
  );
  return {
    // `bacnet` is left out rather than empty or null: agents released before it parse this
    // section strictly, and keep working for every site that does not use BACnet.
    controllers: controllers.map((row) => ({
      id: controllerLabel(row.serial),
      serial: row.serial,
      host: row.ip,
      port: row.port,
      unit: row.modbusId,
      timeoutMs: row.timeoutMs ?? DEFAULT_CONTROLLER_TIMEOUT_MS,
      ...(row.bacnetInstance === null
        ? {}
        : { bacnet: { instance: row.bacnetInstance, port: row.bacnetPort ?? DEFAULT_BACNET_PORT } }),
    })),
    trendLogs: trendLogs.flatMap((log) => {
      const points = log.points.flatMap((p) => {
        const controller = labelOf.get(p.controllerId);
        return controller ? [{ controller, point: p.point }] : [];
      });
      const registers = log.registers.flatMap((r) => {
        const controller = labelOf.get(r.controllerId);
        return controller ? [{ controller, spec: r.spec }] : [];
      });
      // A controller whose BACnet instance was cleared after the entry was made has nothing to read.
      const bacnet = log.bacnet.flatMap((b) => {
        const controller = bacnetLabelOf.get(b.controllerId);
        return controller ? [{ controller, object: b.object }] : [];
      });
      if (points.length === 0 && registers.length === 0 && bacnet.length === 0) return [];
      return [
        {
          id: log.id,
          intervalSeconds: log.intervalSeconds,
          points,
          registers,
          ...(bacnet.length > 0 ? { bacnet } : {}),
        },
      ];
    }),
    discovery: site
      ? {
          enabled: site.discoveryEnabled,
          intervalSeconds: site.discoveryIntervalSeconds,
          targets: site.discoveryTargets,
        }
      : { enabled: false, intervalSeconds: DEFAULT_DISCOVERY_SECONDS, targets: [] },
  };
}

/** The gateways polling these controllers. */
export async function gatewaysOfControllers(env: Env, orgId: string, controllerIds: readonly string[]) {
  if (controllerIds.length === 0) return [];
  const c = schema.controllers;
  const rows = await db(env.DB)
    .selectDistinct({ id: c.gatewayDeviceId })
    .from(c)
    .where(and(eq(c.orgId, orgId), inArray(c.id, [...new Set(controllerIds)]), isNotNull(c.gatewayDeviceId)))
    .all();
  return rows.map((r) => r.id!);
}

/** The gateways assigned to a site, and those polling its controllers. */
export async function gatewaysOfSite(env: Env, orgId: string, siteId: string): Promise<string[]> {
  const d = db(env.DB);
  const dev = schema.devices;
  const c = schema.controllers;
  const [assigned, polling] = await d.batch([
    d
      .select({ id: dev.id })
      .from(dev)
      .where(and(eq(dev.orgId, orgId), eq(dev.siteId, siteId), eq(dev.kind, 'gateway'))),
    d
      .selectDistinct({ id: c.gatewayDeviceId })
      .from(c)
      .where(and(eq(c.orgId, orgId), eq(c.siteId, siteId), isNotNull(c.gatewayDeviceId))),
  ]);
  return [...new Set([...assigned.map((r) => r.id), ...polling.map((r) => r.id!)])];
}
