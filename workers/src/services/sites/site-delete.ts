import { and, count, eq, exists, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { auditInsertIf } from '../audit/record.ts';
import { gatewaysOfSite } from './gateway-config.ts';
import { pushGatewayConfig } from './push.ts';
import { siteNotFound, type SiteRow } from './store.ts';

/**
 * Deletes a site. Its controllers (with their point labels) and trend logs go with it by foreign
 * key; its devices stay, without a site, and their DeviceHubs are told so (live subjects carry
 * the site). Gateways that polled its controllers get their new config.
 */
export async function deleteSite(ctx: Context<AppEnv>, site: SiteRow) {
  const { orgId } = ctx.var.caller;
  const d = db(ctx.env.DB);
  const s = schema.sites;
  const dev = schema.devices;
  const here = and(eq(s.id, site.id), eq(s.orgId, orgId));
  const [gateways, devices, [controllers], [trendLogs]] = await Promise.all([
    gatewaysOfSite(ctx.env, orgId, site.id),
    d
      .select()
      .from(dev)
      .where(and(eq(dev.orgId, orgId), eq(dev.siteId, site.id)))
      .all(),
    d
      .select({ n: count() })
      .from(schema.controllers)
      .where(and(eq(schema.controllers.orgId, orgId), eq(schema.controllers.siteId, site.id))),
    d
      .select({ n: count() })
      .from(schema.trendLogs)
      .where(and(eq(schema.trendLogs.orgId, orgId), eq(schema.trendLogs.siteId, site.id))),
  ]);
  const [, deleted] = await d.batch([
    auditInsertIf(
      ctx,
      {
        targetType: 'site',
        targetId: site.id,
        before: { name: site.name, address: site.address, timeZone: site.timeZone },
      },
      exists(
        d
          .select({ one: sql`1` })
          .from(s)
          .where(here),
      ),
    ),
    d.delete(s).where(here).returning({ id: s.id }),
  ]);
  if (deleted.length === 0) throw siteNotFound(site.id);
  await Promise.all(
    devices.map(async (device) => {
      const hub = deviceHubFor(ctx.env, device.id);
      await hub.setIdentity({
        deviceId: device.id,
        orgId: device.orgId,
        siteId: null,
        tokenHash: device.tokenHash,
        revoked: device.revokedAt !== null,
      });
      // Rules scoped to the site no longer cover it.
      await hub.rulesChanged();
    }),
  );
  await pushGatewayConfig(ctx, gateways);
  return { id: site.id, controllers: controllers?.n ?? 0, trendLogs: trendLogs?.n ?? 0 };
}
