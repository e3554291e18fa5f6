import { sql } from 'drizzle-orm';
import { bare, schema, statement } from '../../db.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { DAY_MS, HOUR_MS } from '../../time.ts';

/**
 * The cron's part in rollup retention. Rollups live in the DeviceHubs, which sweep them from
 * their alarms (at most hourly after a change of the org's settings, every six hours on an idle
 * device); devices whose row reports minutes past the org's window are asked to sweep now.
 */

/** DeviceHubs asked to sweep their minutes per cron run. */
const MINUTE_SWEEPS_PER_RUN = 50;
/** Chunks one DeviceHub is asked for per cron run; what is left goes in the next run. */
const MAX_CHUNKS = 10;

const o = schema.organisations;
const dv = schema.devices;

/** Asks the DeviceHubs whose row reports minutes before their org's window to sweep them now. */
export async function sweepMinutesOf(env: Env, now: number, deadline: number): Promise<void> {
  const cutoffHour = now - (now % HOUR_MS);
  const { results } = await statement(
    env.DB,
    sql`SELECT d.${bare(dv.id)} AS id, ${cutoffHour} - o.${bare(o.rollup1mRetentionDays)} * ${DAY_MS} AS cutoff
        FROM ${dv} d JOIN ${o} o ON o.${bare(o.id)} = d.${bare(dv.orgId)}
        WHERE d.${bare(dv.minutesFrom)} < ${cutoffHour} - o.${bare(o.rollup1mRetentionDays)} * ${DAY_MS}
        LIMIT ${MINUTE_SWEEPS_PER_RUN}`,
  ).all<{ id: string; cutoff: number }>();
  for (const device of results) {
    for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
      if (!(await deviceHubFor(env, device.id).sweepMinutes(device.cutoff))) break;
    }
  }
}
