import { and, asc, eq, inArray } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { deviceStatus, withExactSeen } from '../devices/status.ts';
import { onlineWindowSeconds } from '../devices/list.ts';
import { controllerViews } from './controllers.ts';
import type { SiteRow } from './store.ts';

/**
 * Sites with their gateways (devices of kind gateway assigned to them) and their controllers
 * counted by status: two D1 queries, then one health read per gateway (controllerViews).
 */
export async function siteViews(env: Env, orgId: string, rows: readonly SiteRow[], now = Date.now()) {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const d = db(env.DB);
  const dev = schema.devices;
  const c = schema.controllers;
  const [gatewayRows, controllerRows] = await d.batch([
    d
      .select({
        id: dev.id,
        name: dev.name,
        siteId: dev.siteId,
        lastSeenAt: dev.lastSeenAt,
        live: dev.live,
        agentVersion: dev.agentVersion,
      })
      .from(dev)
      .where(and(eq(dev.orgId, orgId), eq(dev.kind, 'gateway'), inArray(dev.siteId, ids)))
      .orderBy(asc(dev.name), asc(dev.id)),
    d
      .select()
      .from(c)
      .where(and(eq(c.orgId, orgId), inArray(c.siteId, ids)))
      .orderBy(asc(c.serial)),
  ]);
  const [controllers, gateways] = await Promise.all([
    controllerViews(env, orgId, controllerRows),
    withExactSeen(env, gatewayRows),
  ]);
  const window = onlineWindowSeconds(env);
  return rows.map((site) => ({
    id: site.id,
    name: site.name,
    address: site.address,
    timeZone: site.timeZone,
    discovery: {
      enabled: site.discoveryEnabled,
      intervalSeconds: site.discoveryIntervalSeconds,
      targets: site.discoveryTargets,
    },
    gateways: gateways
      .filter((g) => g.siteId === site.id)
      .map((g) => ({
        id: g.id,
        name: g.name,
        status: deviceStatus(g, now, window),
        lastSeenAt: g.lastSeenAt,
      })),
    ...controllerCounts(controllers.filter((ctl) => ctl.siteId === site.id)),
    createdAt: site.createdAt,
  }));
}

function controllerCounts(controllers: readonly { status: 'online' | 'offline' | 'unknown' }[]) {
  const controllerStatus = { online: 0, offline: 0, unknown: 0 };
  for (const ctl of controllers) controllerStatus[ctl.status]++;
  return { controllerCount: controllers.length, controllerStatus };
}

/** One site's view, as the list gives it. */
export async function siteDetail(env: Env, orgId: string, site: SiteRow) {
  const [view] = await siteViews(env, orgId, [site]);
  return view!;
}
