import { and, desc, eq, gt, lt, sql, type SQL } from 'drizzle-orm';
import type { WebhookFilters } from '../../../../schema/wire/alerts.ts';
import { MAX_NOTICES_SENT, type HostNotice } from '../../../../schema/wire/notices.ts';
import { bare, db, schema } from '../../db.ts';
import { DAY_MS } from '../../time.ts';
import { notifyConfigChanged } from '../agents/config-push.ts';
import { sha256Hex } from '../credentials/crypto.ts';
import { log } from '../log.ts';
import { detail, headline, type AlertEvent } from './payloads.ts';

/**
 * Host notices: what channels of kind `host` do with an incident transition. The notice is
 * stored for each device the channels target and rides along with that device's agent config
 * (HTTPS poll, ETag, and the MQTT config push), so it reaches the host over the channel the
 * agent already keeps open, with no inbound connection and nothing more to configure there.
 */

/** How long a notice waits for its agent; an agent offline longer misses it (the incident stays in the API). */
export const HOST_NOTICE_DAYS = 7;
/**
 * Devices one transition's notice goes to at most. Past it the incident's own device and the
 * first others by id get it, and a warning says how many were left out: a notice on every
 * terminal of a fleet larger than this is noise, and a narrower filter says whose it is.
 */
export const MAX_NOTICE_TARGETS = 1000;
const N = schema.hostNotices;
const dv = schema.devices;

/** A host channel as the fan-out needs it. */
export type HostChannel = Pick<typeof schema.webhooks.$inferSelect, 'filters' | 'hosts'>;

/**
 * Which devices a channel covers as targets: its device, site and tag filters (each given one
 * must hold, as for incidents); none of them covers the whole org. Severities and rules only
 * choose incidents.
 */
function covers(f: WebhookFilters): SQL {
  const list = (values: string[]) => sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;
  const parts: SQL[] = [sql`1`];
  if (f.deviceIds) parts.push(sql`${dv.id} IN ${list(f.deviceIds)}`);
  if (f.siteIds) parts.push(sql`${dv.siteId} IN ${list(f.siteIds)}`);
  if (f.tags) parts.push(sql`EXISTS (SELECT 1 FROM json_each(${dv.tags}) WHERE value IN ${list(f.tags)})`);
  return sql.join(parts, sql` AND `);
}

/**
 * Stores the notice of one transition for every device the host channels that passed it target
 * (`hosts`: the devices a channel's filters cover, or the incident's own), always within the
 * incident's org and never a revoked device, then has their DeviceHubs push the config. One
 * statement chooses and inserts the rows. Idempotent: a redelivered `alert.notify` (the try
 * before failed after storing them) finds its rows there and adds none, but tells the hubs again
 * (an agent shows each notice id once, however often it is pushed). Repeats of a still-firing
 * incident are not sent to hosts: each transition shows once there.
 */
export async function recordHostNotices(
  env: Env,
  orgId: string,
  event: AlertEvent,
  channels: HostChannel[],
): Promise<void> {
  if (event.repeat || channels.length === 0) return;
  const own = event.device.id;
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
  // One key per transition, and the device after it: the unique index makes a redelivery add nothing.
  const key = await sha256Hex([orgId, event.incident.id, event.transition, event.at].join('|'));
  const covered = channels.filter((c) => c.hosts !== 'incident').map((c) => sql`(${covers(c.filters)})`);
  const targets = sql.join([sql`${dv.id} = ${own}`, ...covered], sql` OR `);
  const stored = await db(env.DB).all<{ device_id: string }>(sql`
    INSERT INTO ${N} (${bare(N.orgId)}, ${bare(N.deviceId)}, ${bare(N.incidentId)}, ${bare(N.dedupKey)}, ${bare(N.notice)}, ${bare(N.createdAt)})
    SELECT ${orgId}, ${dv.id}, ${event.incident.id}, ${`${key}|`} || ${dv.id}, ${JSON.stringify(notice)}, ${Date.now()}
    FROM ${dv}
    WHERE ${dv.orgId} = ${orgId} AND ${dv.revokedAt} IS NULL AND (${targets})
    ORDER BY ${dv.id} = ${own} DESC, ${dv.id}
    LIMIT ${MAX_NOTICE_TARGETS}
    ON CONFLICT (${bare(N.dedupKey)}) DO UPDATE SET ${bare(N.createdAt)} = ${bare(N.createdAt)}
    RETURNING ${bare(N.deviceId)} AS device_id`);
  if (stored.length === 0) return;
  if (stored.length === MAX_NOTICE_TARGETS) {
    const [all] = await db(env.DB).all<{ n: number }>(
      sql`SELECT count(*) AS n FROM ${dv} WHERE ${dv.orgId} = ${orgId} AND ${dv.revokedAt} IS NULL AND (${targets})`,
    );
    log.warn('host notice reached only the first devices its channels target', {
      orgId,
      incidentId: event.incident.id,
      sent: MAX_NOTICE_TARGETS,
      targeted: all?.n,
    });
  }
  // The incident's own device is pushed first (RETURNING does not keep the SELECT's order).
  const ids = stored.map((r) => r.device_id).sort((a, b) => Number(b === own) - Number(a === own));
  log.info('host notice recorded', {
    orgId,
    incidentId: event.incident.id,
    transition: event.transition,
    devices: ids.length,
  });
  await notifyConfigChanged(env, ids);
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
