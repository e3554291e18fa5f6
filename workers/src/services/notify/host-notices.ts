import { and, desc, eq, gt, lt } from 'drizzle-orm';
import { MAX_NOTICES_SENT, type HostNotice } from '../../../../schema/wire/notices.ts';
import { db, schema } from '../../db.ts';
import { DAY_MS } from '../../time.ts';
import { notifyConfigChanged } from '../agents/config-push.ts';
import { sha256Hex } from '../credentials/crypto.ts';
import { log } from '../log.ts';
import { detail, headline, type AlertEvent } from './payloads.ts';

/**
 * Host notices: what channels of kind `host` do with an incident transition. The notice is
 * stored for the incident's own device and rides along with that device's agent config (HTTPS
 * poll, ETag, and the MQTT config push), so it reaches the host over the channel the agent
 * already keeps open, with no inbound connection and nothing more to configure on the host.
 */

/** How long a notice waits for its agent; an agent offline longer misses it (the incident stays in the API). */
export const HOST_NOTICE_DAYS = 7;
const N = schema.hostNotices;

/**
 * Stores the notice of one transition for the incident's device and has its DeviceHub push the
 * config at once. Idempotent: a redelivered `alert.notify` finds the row there and adds nothing.
 * Repeats of a still-firing incident are not sent to hosts: each transition shows once there.
 */
export async function recordHostNotice(env: Env, orgId: string, event: AlertEvent): Promise<void> {
  if (event.repeat) return;
  const d = db(env.DB);
  const deviceId = event.device.id;
  const key = [orgId, event.incident.id, event.transition, event.at, deviceId].join('|');
  const notice: Omit<HostNotice, 'id'> = {
    at: event.at,
    transition: event.transition,
    severity: event.incident.severity,
    incidentId: event.incident.id,
    ruleName: event.incident.ruleName,
    device: event.device,
    summary: detail(event),
    title: headline(event),
    url: event.url,
  };
  const inserted = await d
    .insert(N)
    .values({
      orgId,
      deviceId,
      incidentId: event.incident.id,
      dedupKey: await sha256Hex(key),
      notice,
      createdAt: Date.now(),
    })
    .onConflictDoNothing()
    .returning({ seq: N.seq });
  if (inserted.length === 0) return;
  log.info('host notice recorded', { orgId, deviceId, incidentId: event.incident.id, seq: inserted[0]!.seq });
  await notifyConfigChanged(env, orgId, [deviceId]);
}

/** The device's newest notices of the last HOST_NOTICE_DAYS, oldest first: what its agent config carries. */
export async function latestNotices(
  env: Env,
  orgId: string,
  deviceId: string,
  now = Date.now(),
): Promise<HostNotice[]> {
  const rows = await db(env.DB)
    .select({ seq: N.seq, notice: N.notice })
    .from(N)
    .where(and(eq(N.deviceId, deviceId), eq(N.orgId, orgId), gt(N.createdAt, now - HOST_NOTICE_DAYS * DAY_MS)))
    .orderBy(desc(N.seq))
    .limit(MAX_NOTICES_SENT)
    .all();
  return rows.map((r) => ({ ...r.notice, id: r.seq })).reverse();
}

/** The cron's part: deletes notices past HOST_NOTICE_DAYS (one statement; the index on created_at bounds it). */
export async function sweepHostNotices(env: Env, now: number): Promise<void> {
  await db(env.DB)
    .delete(N)
    .where(lt(N.createdAt, now - HOST_NOTICE_DAYS * DAY_MS));
}
