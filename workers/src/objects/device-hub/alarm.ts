import { log } from '../../services/log.ts';
import type { HubAlerts } from './alerts.ts';
import { pruneBatches } from './batches.ts';
import { deliverEvents, detectOffline, hasPendingEvents, offlineCheckAt } from './events.ts';
import { statement } from '../../db.ts';
import { deviceFigures, planReport } from './device-report.ts';
import { pendingRollups, remainingDirty } from './flush.ts';
import { adoptD1Rollups, adoptionPending } from './rollup-adopt.ts';
import { rollUpLocally } from './rollup-flush.ts';
import { upkeepRollups } from './rollup-retention.ts';
import type { DeviceIdentity } from './identity.ts';
import { upkeepRaw } from './retention.ts';
import { sealRaw } from './seal.ts';
import { getSeen } from './store.ts';

/**
 * The DeviceHub's alarm, one named step after another. Every step is safe to repeat, because
 * alarms run at least once and a throw makes the runtime run the whole alarm again.
 */

/** Rollup flush cadence: how long 1m, 1h and 1d reads may trail raw data. */
export const FLUSH_INTERVAL_MS = 15_000;
/** Dirty minutes handled per alarm run, so one run stays bounded. */
const FLUSH_MAX_MINUTES = 2_000;
/** Next run after the alert step failed. */
const ALERT_RETRY_MS = 30_000;
/** Next run when a flush took a full chunk (or adoption is under way): a backlog is worked off in seconds, not minutes. */
const BACKLOG_FLUSH_MS = 1_000;

export interface AlarmContext {
  env: Env;
  sql: SqlStorage;
  identity: DeviceIdentity;
  /** The online window (ONLINE_WINDOW_SECONDS) in ms. */
  windowMs: number;
  alerts: HubAlerts;
  transact: <T>(fn: () => T) => T;
}

/** Runs the alarm's steps; returns when the next run is due (Infinity: no need). */
export async function runAlarm(c: AlarmContext): Promise<number> {
  // First: absence (offline, no data) is what an alarm is waited on for. A fault there must not stop the flush.
  const alertsAt = await c.alerts.alarm(c.identity, Date.now()).catch((err: unknown) => {
    log.error('alert alarm step failed', { deviceId: c.identity.deviceId, error: String(err) });
    return Date.now() + ALERT_RETRY_MS;
  });
  await reportOffline(c);
  const adopting = adoptionPending(c.sql) && (await adoptD1Rollups(c.env.DB, c.sql, c.identity.orgId, c.transact));
  const raw = await upkeepRaw(c.env.DB, c.sql, c.identity.orgId, Date.now());
  const rollupsAt = await upkeepRollups(c.env.DB, c.sql, c.identity.orgId, Date.now(), c.transact);
  const minutes = flushRollups(c);
  const reportAt = await report(c, raw.figures);
  // After the flush, so the minutes it just rolled up can be sealed in this run.
  const sealAt = sealRaw(c.sql, Date.now());
  pruneBatches(c.sql, Date.now());
  const flushAt = nextFlushAt(c, minutes, adopting);
  return Math.min(flushAt, reportAt, raw.nextAt, rollupsAt, alertsAt, sealAt);
}

/** A device silent past the window is offline; its event goes out now, not with the next batch. */
async function reportOffline(c: AlarmContext): Promise<void> {
  detectOffline(c.sql, Date.now(), getSeen(c.sql)?.lastSeenAt ?? null, c.windowMs);
  await deliverEvents(c.env, c.sql, c.identity);
}

/** Rolls dirty minutes up into the object's minute, hour and day rows, in one transaction; returns how many. */
function flushRollups(c: AlarmContext): number {
  const rows = pendingRollups(c.sql, FLUSH_MAX_MINUTES);
  if (rows.length > 0) c.transact(() => rollUpLocally(c.sql, rows));
  return rows.length;
}

/** Writes the device row when its status changed or its figures are due (device-report.ts). */
async function report(c: AlarmContext, raw: Parameters<typeof deviceFigures>[1]): Promise<number> {
  const now = Date.now();
  const plan = planReport(c.sql, c.identity, () => deviceFigures(c.sql, raw, now), now, c.windowMs);
  if (plan.statement) {
    await c.env.DB.batch([statement(c.env.DB, plan.statement)]);
    plan.done();
  }
  return plan.nextAt;
}

/** Soon while minutes or events are behind (or rollups are being adopted), at the offline check while online; else never. */
function nextFlushAt(c: AlarmContext, minutes: number, adopting: boolean): number {
  const current = getSeen(c.sql);
  const behind = remainingDirty(c.sql) > 0 || hasPendingEvents(c.sql) || adopting;
  const offlineCheck = offlineCheckAt(c.sql, current?.lastSeenAt ?? null, c.windowMs);
  const delay = minutes === FLUSH_MAX_MINUTES || adopting ? BACKLOG_FLUSH_MS : FLUSH_INTERVAL_MS;
  return Math.min(behind ? Date.now() + delay : Infinity, offlineCheck ?? Infinity);
}
