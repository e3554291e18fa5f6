import { and, asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import type { DeviceView } from '../../../schema/wire/telemetry.ts';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { notFound } from '../errors.ts';
import { requireAuth } from '../middleware/auth/index.ts';
import { deviceHubFor } from '../objects/device-hub.ts';
import { deviceStatus } from '../services/device-status.ts';

type DeviceRow = typeof schema.devices.$inferSelect;

function view(row: DeviceRow, env: Env, now: number): DeviceView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    siteId: row.siteId,
    tags: row.tags,
    agentVersion: row.agentVersion,
    lastSeenAt: row.lastSeenAt,
    status: deviceStatus(row.lastSeenAt, now, Number(env.ONLINE_WINDOW_SECONDS) || 60),
    createdAt: row.createdAt,
  };
}

/** Loads a device of the caller's org, or 404: another org's device is indistinguishable from none. */
export async function orgDevice(env: Env, orgId: string, deviceId: string): Promise<DeviceRow> {
  const row = await db(env.DB)
    .select()
    .from(schema.devices)
    .where(and(eq(schema.devices.id, deviceId), eq(schema.devices.orgId, orgId)))
    .get();
  if (!row) throw notFound(`device "${deviceId}"`);
  return row;
}

export const deviceRoutes = new Hono<AppEnv>()
  .get('/', requireAuth('read'), async (c) => {
    const rows = await db(c.env.DB)
      .select()
      .from(schema.devices)
      .where(eq(schema.devices.orgId, c.var.caller.orgId))
      .orderBy(asc(schema.devices.name), asc(schema.devices.id))
      .all();
    const now = Date.now();
    return c.json({ devices: rows.map((r) => view(r, c.env, now)) });
  })
  .get('/:id', requireAuth('read'), async (c) => {
    return c.json(view(await orgDevice(c.env, c.var.caller.orgId, c.req.param('id')), c.env, Date.now()));
  })
  .get('/:id/latest', requireAuth('read'), async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.param('id'));
    return c.json({ deviceId: device.id, values: await deviceHubFor(c.env, device.id).latest() });
  })
  .post('/:id/revoke', requireAuth('admin'), async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.param('id'));
    const now = Date.now();
    await db(c.env.DB)
      .update(schema.devices)
      .set({ revokedAt: now })
      .where(and(eq(schema.devices.id, device.id), eq(schema.devices.orgId, device.orgId)));
    await deviceHubFor(c.env, device.id).setIdentity({
      deviceId: device.id,
      orgId: device.orgId,
      siteId: device.siteId,
      tokenHash: device.tokenHash,
      revoked: true,
    });
    return c.json({ id: device.id, revokedAt: now });
  });
