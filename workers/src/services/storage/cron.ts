import { purgeDeletedOrgs } from '../accounts/org-deletion.ts';
import { sweepAudit } from '../audit/retention.ts';
import { sweepHostNotices } from '../notify/host-notices.ts';
import { sweepMinutesOf } from './retention-cron.ts';

/** Wall-clock budget of one run: well inside a cron invocation's limits, and before the next run starts. */
const RUN_BUDGET_MS = 60_000;

/**
 * The cron sweep: has DeviceHubs holding minutes past their org's retention sweep them (each
 * hub also sweeps its own rollups from its alarm; this catches a lowered retention sooner),
 * deletes audit rows past their org's retention and host notices past their week, then works off deleted organisations a bounded
 * number of devices at a time. Every part is bounded per run and idempotent, so an overlapping
 * or repeated run is harmless and a backlog is worked off over the following runs.
 */
export async function runCron(env: Env, scheduledTime: number): Promise<void> {
  const deadline = Date.now() + RUN_BUDGET_MS;
  await sweepMinutesOf(env, scheduledTime, deadline);
  await sweepAudit(env.DB, scheduledTime, deadline);
  await sweepHostNotices(env, scheduledTime);
  if (Date.now() < deadline) await purgeDeletedOrgs(env);
}
