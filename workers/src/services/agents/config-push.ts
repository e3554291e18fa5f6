import { and, eq, isNull } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { log } from '../log.ts';

/**
 * Hubs told in the invocation that changed their devices' config; the rest, and any that could
 * not be reached, go through ALERTS_QUEUE as `config.push` messages of this many devices. A hub
 * answers polls from its copy of the config for up to an hour unless told, so every affected
 * hub must be told, and an org's devices can be far more than the 1,000 subrequests one
 * invocation may make (a consumer batch of 10 such messages makes 500).
 */
export const PUSHES_PER_MESSAGE = 50;

/** Devices whose hubs are still to be told of a config change (theirs or their host notices). */
export interface ConfigPushMessage {
  type: 'config.push';
  deviceIds: string[];
}

/** Tells each device's hub at once; answers the devices whose hub could not be reached. */
async function tellHubs(env: Env, deviceIds: readonly string[]): Promise<string[]> {
  const told = await Promise.allSettled(deviceIds.map((id) => deviceHubFor(env, id).configChanged()));
  return deviceIds.filter((_, i) => told[i]!.status === 'rejected');
}

/**
 * Tells these devices' DeviceHubs that their remote config (or their host notices) changed: a
 * hub drops its copy, so the agent's next poll gets the new answer, and a live MQTT session is
 * sent it at once. The first PUSHES_PER_MESSAGE are told now (a poll right after this resolves
 * sees the change); the rest, and any hub that could not be reached, through the queue, whose
 * consumer tries again until each is told.
 */
export async function notifyConfigChanged(env: Env, deviceIds: readonly string[]): Promise<void> {
  const left = [
    ...(await tellHubs(env, deviceIds.slice(0, PUSHES_PER_MESSAGE))),
    ...deviceIds.slice(PUSHES_PER_MESSAGE),
  ];
  const messages = Array.from({ length: Math.ceil(left.length / PUSHES_PER_MESSAGE) }, (_, i) => ({
    body: {
      type: 'config.push',
      deviceIds: left.slice(i * PUSHES_PER_MESSAGE, (i + 1) * PUSHES_PER_MESSAGE),
    } satisfies ConfigPushMessage,
  }));
  // A queue's sendBatch takes at most 100 messages.
  for (let i = 0; i < messages.length; i += 100) await env.ALERTS_QUEUE.sendBatch(messages.slice(i, i + 100));
}

/** The org's config changed: every enrolled device's hub is told. */
export async function orgConfigChanged(env: Env, orgId: string): Promise<void> {
  const rows = await db(env.DB)
    .select({ id: schema.devices.id })
    .from(schema.devices)
    .where(and(eq(schema.devices.orgId, orgId), isNull(schema.devices.revokedAt)))
    .all();
  await notifyConfigChanged(
    env,
    rows.map((r) => r.id),
  ).catch((err: unknown) =>
    // The change is stored; hubs not told answer from their copy until it is an hour old.
    log.warn('org config change: the queue did not take the rest of the devices', { orgId, error: String(err) }),
  );
}

/** The consumer's part of `config.push`: a hub it cannot reach makes it throw, so the queue tries again. */
export async function handleConfigPush(env: Env, msg: ConfigPushMessage): Promise<void> {
  const failed = await tellHubs(env, msg.deviceIds);
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${msg.deviceIds.length} devices' hubs could not be told of a change`);
  }
}
