import { and, eq, isNull } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { log } from '../log.ts';

/**
 * Hubs told in the invocation that changed their devices' config; the rest go through
 * ALERTS_QUEUE as `config.push` messages of this many devices. A hub answers polls from its copy
 * of the config for up to an hour unless told, so every affected hub must be told, and an org's
 * devices can be far more than the 1,000 subrequests one invocation may make (a consumer batch
 * of 10 such messages makes 500).
 */
export const PUSHES_PER_MESSAGE = 50;

/** Devices whose hubs are still to be told of a config change (theirs or their host notices). */
export interface ConfigPushMessage {
  type: 'config.push';
  orgId: string;
  deviceIds: string[];
}

/**
 * Tells each device's DeviceHub that its remote config changed: it drops its copy, so the
 * agent's next poll (even one right after this resolves) gets the new answer, and a live MQTT
 * session is sent it at once. One hub that cannot be reached does not stop the others; the
 * answer is how many could not.
 */
export async function notifyConfigChanged(env: Env, deviceIds: readonly string[]): Promise<number> {
  const told = await Promise.allSettled(deviceIds.map((id) => deviceHubFor(env, id).configChanged()));
  return told.filter((t) => t.status === 'rejected').length;
}

/**
 * Tells the hubs of any number of devices: the first PUSHES_PER_MESSAGE now, the rest through
 * the queue (whose consumer retries a hub it cannot reach). Answers how many of those told now
 * could not be.
 */
export async function spreadConfigChanged(env: Env, orgId: string, deviceIds: readonly string[]): Promise<number> {
  const later = deviceIds.slice(PUSHES_PER_MESSAGE);
  const messages = Array.from({ length: Math.ceil(later.length / PUSHES_PER_MESSAGE) }, (_, i) => ({
    body: {
      type: 'config.push',
      orgId,
      deviceIds: later.slice(i * PUSHES_PER_MESSAGE, (i + 1) * PUSHES_PER_MESSAGE),
    } satisfies ConfigPushMessage,
  }));
  // A queue's sendBatch takes at most 100 messages.
  for (let i = 0; i < messages.length; i += 100) await env.ALERTS_QUEUE.sendBatch(messages.slice(i, i + 100));
  return notifyConfigChanged(env, deviceIds.slice(0, PUSHES_PER_MESSAGE));
}

/** The org's config changed: every enrolled device's hub is told (spreadConfigChanged). */
export async function orgConfigChanged(env: Env, orgId: string): Promise<void> {
  const ids = await db(env.DB)
    .select({ id: schema.devices.id })
    .from(schema.devices)
    .where(and(eq(schema.devices.orgId, orgId), isNull(schema.devices.revokedAt)))
    .all();
  const failed = await spreadConfigChanged(
    env,
    orgId,
    ids.map((r) => r.id),
  );
  // Those hubs answer from their copy until it is an hour old.
  if (failed > 0) log.warn('org config change: some device hubs could not be told', { orgId, failed });
}

/** The consumer's part of `config.push`: a hub it cannot reach makes it throw, so the queue tries again. */
export async function handleConfigPush(env: Env, msg: ConfigPushMessage): Promise<void> {
  const failed = await notifyConfigChanged(env, msg.deviceIds);
  if (failed > 0) throw new Error(`${failed} of ${msg.deviceIds.length} devices' hubs could not be told of a change`);
}
