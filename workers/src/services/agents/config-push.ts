import { and, eq, isNull } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';

/**
 * Tells each affected device's DeviceHub that its remote config changed, so a device with a
 * live MQTT session gets the new config at once. Agents on HTTPS pick it up on their next poll.
 * One hub that cannot be reached does not stop the others; the answer is how many could not.
 */
export async function notifyConfigChanged(env: Env, orgId: string, deviceIds: string[] | 'all'): Promise<number> {
  const ids =
    deviceIds === 'all'
      ? (
          await db(env.DB)
            .select({ id: schema.devices.id })
            .from(schema.devices)
            .where(and(eq(schema.devices.orgId, orgId), isNull(schema.devices.revokedAt)))
            .all()
        ).map((r) => r.id)
      : deviceIds;
  const told = await Promise.allSettled(ids.map((id) => deviceHubFor(env, id).configChanged()));
  return told.filter((t) => t.status === 'rejected').length;
}
