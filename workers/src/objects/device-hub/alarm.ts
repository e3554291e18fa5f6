import { log } from '../../services/log.ts';
import type { HubAlerts } from './alerts.ts';
import { pruneBatches } from './batches.ts';
import { deliverEvents, detectOffline, hasPendingEvents, offlineCheckAt } from './events.ts';
import { statement } from '../../db.ts';
import { clearFlushed, lastSeenStatement, pendingRollups, remainingDirty } from './flush.ts';
import {
  markMinutesReported,
  mergesSent,
  minuteReport,
  minuteReportStatement,
  minuteStatements,
  outboxSids,
  planMinuteFlush,
  seriesNums,
} from './minute-flush.ts';
import { upkeepMinutes } from './minute-retention.ts';
import type { DeviceIdentity } from './identity.ts';
import { markRawReported, rawReportStatement, upkeepRaw, type RawFigures } from './retention.ts';
import { sealRaw } from './seal.ts';
import { getSeen, setSeen } from './store.ts';

/**
 * The DeviceHub's alarm, one named step after another. Every step is safe to repeat, because
 * alarms run at least once and a throw makes the runtime run the whole alarm again.
 */

/** Rollup flush cadence. Short enough for dashboards, long enough to batch D1 writes. */
export const FLUSH_INTERVAL_MS = 15_000;
/** Dirty minutes handled per alarm run, so one run stays bounded. */
const FLUSH_MAX_MINUTES = 2_000;
/** Next run after the alert step failed. */
const ALERT_RETRY_MS = 30_000;
/** Next run when a flush took a full chunk: a backfill of old data is rolled up in seconds, not minutes. */
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
  // Before the flush, so the storage figures ride in its batch; unflushed minutes are kept.
  const raw = await upkeepRaw(c.env.DB, c.sql, c.identity.orgId, Date.now());
  const minutesAt = await upkeepMinutes(c.env.DB, c.sql, c.identity.orgId, Date.now(), c.transact);
  const flush = await flushToD1(c, raw.report);
  // After the flush, so the minutes it just rolled up can be sealed in this run.
  const sealAt = sealRaw(c.sql, Date.now());
  pruneBatches(c.sql, Date.now());
  return Math.min(nextFlushAt(c, flush), raw.nextAt, minutesAt, alertsAt, sealAt);
}

/** A device silent past the window is offline; its event goes out now, not with the next batch. */
async function reportOffline(c: AlarmContext): Promise<void> {
  detectOffline(c.sql, Date.now(), getSeen(c.sql)?.lastSeenAt ?? null, c.windowMs);
  await deliverEvents(c.env, c.sql, c.identity);
}

interface Flush {
  /** Minutes rolled up by this run. */
  minutes: number;
  /** lastSeenAt as written to D1 by this run (or already there). */
  seenAt: number | null;
}

/**
 * Rollups, last-seen and storage figures go to D1 in one batch (one transaction); local marks
 * are cleared only once D1 has them, so a failed run loses nothing.
 */
async function flushToD1(c: AlarmContext, report: RawFigures | null): Promise<Flush> {
  const rows = pendingRollups(c.sql, FLUSH_MAX_MINUTES);
  const nums = await seriesNums(c.env.DB, c.sql, [...rows.map((r) => r.sid), ...outboxSids(c.sql)]);
  // One transaction: the object's hour rows, the merge outbox and the marks of merged minutes move together.
  const minutes = c.transact(() => planMinuteFlush(c.sql, rows, nums));
  const minuteFigures = minuteReport(c.sql);
  const seen = getSeen(c.sql);
  const statements = minuteStatements(c.identity.orgId, minutes, Date.now());
  // With the hours it covers, so D1 never holds an hour rebuilt from minutes older than the figure says.
  if (minuteFigures) statements.push(minuteReportStatement(c.identity, minuteFigures));
  if (seen && seen.lastSeenAt !== seen.flushedSeenAt) {
    statements.push(lastSeenStatement(c.identity, seen.lastSeenAt, seen.agentVersion));
  }
  if (report) statements.push(rawReportStatement(c.identity.deviceId, c.identity.orgId, report));
  if (statements.length > 0) await c.env.DB.batch(statements.map((s) => statement(c.env.DB, s)));
  clearFlushed(c.sql, minutes.cleared);
  mergesSent(c.sql, minutes.merges);
  if (report) markRawReported(c.sql, report);
  if (minuteFigures) markMinutesReported(c.sql, minuteFigures);
  // Re-read: an ingest may have moved lastSeenAt on while D1 was being written.
  const current = getSeen(c.sql);
  if (current && seen) setSeen(c.sql, { ...current, flushedSeenAt: seen.lastSeenAt });
  return { minutes: rows.length, seenAt: seen?.lastSeenAt ?? null };
}

/** Soon while rollups, last-seen or events are behind; at the offline check while online; else never. */
function nextFlushAt(c: AlarmContext, flush: Flush): number {
  const current = getSeen(c.sql);
  const behind =
    remainingDirty(c.sql) > 0 ||
    outboxSids(c.sql).length > 0 ||
    (current && current.lastSeenAt !== flush.seenAt) ||
    hasPendingEvents(c.sql);
  const offlineCheck = offlineCheckAt(c.sql, current?.lastSeenAt ?? null, c.windowMs);
  const delay = flush.minutes === FLUSH_MAX_MINUTES ? BACKLOG_FLUSH_MS : FLUSH_INTERVAL_MS;
  return Math.min(behind ? Date.now() + delay : Infinity, offlineCheck ?? Infinity);
}
