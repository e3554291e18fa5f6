import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { badRequest, notFound } from '../errors.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { notifyConfigChanged } from '../services/agents/config-push.ts';
import { auditInsert } from '../services/audit/record.ts';
import { deleteDevice, deleteDeviceData } from '../services/devices/delete.ts';
import { type DeviceRow, deviceView, listDevices } from '../services/devices/list.ts';
import { withExactSeen } from '../services/devices/status.ts';
import { log } from '../services/log.ts';
import { deviceDocs } from './devices-docs.ts';

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

/** Tells the DeviceHub who it is now: live subjects carry the site, and revocation stops ingest. */
function syncIdentity(env: Env, device: DeviceRow) {
  return deviceHubFor(env, device.id).setIdentity({
    deviceId: device.id,
    orgId: device.orgId,
    siteId: device.siteId,
    tokenHash: device.tokenHash,
    revoked: device.revokedAt !== null,
  });
}

async function assertOrgSite(env: Env, orgId: string, siteId: string): Promise<void> {
  const site = await db(env.DB)
    .select({ id: schema.sites.id })
    .from(schema.sites)
    .where(and(eq(schema.sites.id, siteId), eq(schema.sites.orgId, orgId)))
    .get();
  if (!site) throw badRequest('invalid_input', `siteId: no site "${siteId}" in this organisation`, 'siteId');
}

export const deviceRoutes = new Hono<AppEnv>()
  .get('/', deviceDocs.list, async (c) => {
    return c.json(await listDevices(c.env, c.var.caller.orgId, c.req.valid('query')));
  })
  .get('/:id', deviceDocs.get, async (c) => {
    const [row] = await withExactSeen(c.env, [await orgDevice(c.env, c.var.caller.orgId, c.req.valid('param').id)]);
    return c.json(deviceView(row!, c.env, Date.now()));
  })
  .patch('/:id', deviceDocs.patch, async (c) => {
    const { orgId } = c.var.caller;
    const device = await orgDevice(c.env, orgId, c.req.valid('param').id);
    const patch = c.req.valid('json');
    if (typeof patch.siteId === 'string') await assertOrgSite(c.env, orgId, patch.siteId);
    const updated: DeviceRow = { ...device, ...patch };
    const d = db(c.env.DB);
    const fields = Object.keys(patch) as (keyof typeof patch)[];
    await d.batch([
      d
        .update(schema.devices)
        .set({ name: updated.name, siteId: updated.siteId, tags: updated.tags })
        .where(and(eq(schema.devices.id, device.id), eq(schema.devices.orgId, orgId))),
      auditInsert(c, {
        targetType: 'device',
        targetId: device.id,
        before: Object.fromEntries(fields.map((f) => [f, device[f]])),
        after: Object.fromEntries(fields.map((f) => [f, updated[f]])),
      }),
    ]);
    // Rules scoped by tag or site may now cover the device, or no longer: its object reloads them.
    if (updated.siteId !== device.siteId || JSON.stringify(updated.tags) !== JSON.stringify(device.tags)) {
      await deviceHubFor(c.env, device.id)
        .rulesChanged()
        .catch((err: unknown) => log.warn('rule change not announced', { deviceId: device.id, error: String(err) }));
    }
    if (updated.siteId !== device.siteId) {
      await syncIdentity(c.env, updated);
      // A gateway discovers with its site's settings (the `gateway` section of its config).
      if (device.kind === 'gateway') await notifyConfigChanged(c.env, [device.id]);
    }
    const [row] = await withExactSeen(c.env, [updated]);
    return c.json(deviceView(row!, c.env, Date.now()));
  })
  .delete('/:id', deviceDocs.delete, async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.valid('param').id);
    const before = { name: device.name, kind: device.kind, siteId: device.siteId };
    await deleteDevice(c.env, device, [auditInsert(c, { targetType: 'device', targetId: device.id, before })]);
    return c.body(null, 204);
  })
  .delete('/:id/data', deviceDocs.deleteData, async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.valid('param').id);
    const deleted = await deleteDeviceData(c.env, device, (samples) => [
      auditInsert(c, { targetType: 'device', targetId: device.id, before: { samples } }),
    ]);
    return c.json({ deviceId: device.id, deleted });
  })
  .get('/:id/latest', deviceDocs.latest, async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.valid('param').id);
    return c.json({ deviceId: device.id, values: await deviceHubFor(c.env, device.id).latest() });
  })
  .post('/:id/revoke', deviceDocs.revoke, async (c) => {
    const device = await orgDevice(c.env, c.var.caller.orgId, c.req.valid('param').id);
    const now = Date.now();
    const d = db(c.env.DB);
    await d.batch([
      d
        .update(schema.devices)
        .set({ revokedAt: now })
        .where(and(eq(schema.devices.id, device.id), eq(schema.devices.orgId, device.orgId))),
      auditInsert(c, {
        targetType: 'device',
        targetId: device.id,
        before: { revokedAt: device.revokedAt },
        after: { revokedAt: now },
      }),
    ]);
    await syncIdentity(c.env, { ...device, revokedAt: now });
    return c.json({ id: device.id, revokedAt: now });
  });
