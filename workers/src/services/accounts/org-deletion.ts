import { and, asc, eq, inArray, isNotNull, notExists, sql } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { badRequest } from '../../errors.ts';
import { deleteDevice } from '../devices/delete.ts';
import { mapLimit } from '../map-limit.ts';

/**
 * Deleting an organisation. `DELETE /v1/org` only marks it (`deleted_at`): from then on its keys
 * and sessions are refused and it answers as gone. Its devices are then deleted a few at a time
 * (D1 rows, then everything their DeviceHub holds), a first chunk by the request and the rest
 * by the cron, and when none is left the organisation's row goes, taking every row that
 * references it with it, and its members who belong to no other organisation.
 */

/** Devices deleted by the request that deletes the organisation; the cron does the rest. */
export const DEVICES_PER_REQUEST = 5;
/** Devices deleted per cron run, over all deleted organisations. */
export const DEVICES_PER_CRON_RUN = 50;
/** DeviceHub wipes in flight at once. */
const PARALLEL_WIPES = 4;

export const confirmationMismatch = () =>
  badRequest('confirmation_mismatch', "confirm must be the organisation's name, exactly as shown", 'confirm');

/**
 * Deletes up to `maxDevices` of a deleted organisation's devices, and the organisation itself once
 * it has none. Idempotent: a repeated or concurrent run finds less to do. Returns how many
 * devices it deleted and whether the organisation is gone.
 */
export async function purgeOrg(
  env: Env,
  orgId: string,
  maxDevices: number,
): Promise<{ devices: number; done: boolean }> {
  const d = db(env.DB);
  const dv = schema.devices;
  const batch = await d
    .select({ id: dv.id })
    .from(dv)
    .where(eq(dv.orgId, orgId))
    .orderBy(asc(dv.id))
    .limit(maxDevices + 1)
    .all();
  const now = batch.slice(0, maxDevices);
  await mapLimit(now, PARALLEL_WIPES, (device) => deleteDevice(env, { id: device.id, orgId }));
  if (batch.length > maxDevices) return { devices: now.length, done: false };
  await deleteOrgRows(env, orgId);
  return { devices: now.length, done: true };
}

/** Runs {@link purgeOrg} over every deleted organisation within a budget of devices. */
export async function purgeDeletedOrgs(env: Env, maxDevices = DEVICES_PER_CRON_RUN): Promise<void> {
  const o = schema.organisations;
  const orgs = await db(env.DB)
    .select({ id: o.id })
    .from(o)
    .where(isNotNull(o.deletedAt))
    .orderBy(asc(o.deletedAt))
    .all();
  let budget = maxDevices;
  for (const org of orgs) {
    if (budget <= 0) return;
    const { devices } = await purgeOrg(env, org.id, budget);
    budget -= devices;
  }
}

async function deleteOrgRows(env: Env, orgId: string): Promise<void> {
  const d = db(env.DB);
  const { memberships: m, organisations: o, users: u, rollupMarks } = schema;
  const members = await d.select({ id: m.userId }).from(m).where(eq(m.orgId, orgId)).all();
  const ids = JSON.stringify(members.map((r) => r.id));
  await d.batch([
    // rollup_marks carries no foreign key, so nothing would cascade to it.
    d.delete(rollupMarks).where(eq(rollupMarks.orgId, orgId)),
    // Only a marked organisation is removed, so a stray call cannot delete a live one.
    d.delete(o).where(and(eq(o.id, orgId), isNotNull(o.deletedAt))),
    // Its members who now belong nowhere: their account existed only for this organisation.
    d.delete(u).where(
      and(
        inArray(u.id, sql`(SELECT value FROM json_each(${ids}))`),
        notExists(
          d
            .select({ one: sql`1` })
            .from(m)
            .where(eq(m.userId, u.id)),
        ),
      ),
    ),
  ]);
}
