import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { deviceStatus } from '../devices/status.ts';
import { onlineWindowSeconds } from '../devices/list.ts';
import { controllerViews, siteControllers } from './controllers.ts';
import type { SiteRow } from './store.ts';

/** Sites with their gateways (devices of kind gateway assigned to them) and controller counts, in two queries. */
export async function siteViews(env: Env, orgId: string, rows: readonly SiteRow[], now = Date.now()) {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const d = db(env.DB);
  const dev = schema.devices;
  const c = schema.controllers;
  const [gateways, counts] = await d.batch([
    d
      .select({ id: dev.id, name: dev.name, siteId: dev.siteId, lastSeenAt: dev.lastSeenAt })
      .from(dev)
      .where(and(eq(dev.orgId, orgId), eq(dev.kind, 'gateway'), inArray(dev.siteId, ids)))
      .orderBy(asc(dev.name), asc(dev.id)),
    d
      .select({ siteId: c.siteId, n: count() })
      .from(c)
      .where(and(eq(c.orgId, orgId), inArray(c.siteId, ids)))
      .groupBy(c.siteId),
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
        status: deviceStatus(g.lastSeenAt, now, window),
        lastSeenAt: g.lastSeenAt,
      })),
    controllerCount: counts.find((k) => k.siteId === site.id)?.n ?? 0,
    createdAt: site.createdAt,
  }));
}

/** One site's view, with its controllers counted by status (one latest-values read per gateway). */
export async function siteDetail(env: Env, orgId: string, site: SiteRow) {
  const [[view], controllers] = await Promise.all([
    siteViews(env, orgId, [site]),
    siteControllers(env, orgId, site.id).then((rows) => controllerViews(env, orgId, rows)),
  ]);
  const controllerStatus = { online: 0, offline: 0, unknown: 0 };
  for (const ctl of controllers) controllerStatus[ctl.status]++;
  return { ...view!, controllerStatus };
}
