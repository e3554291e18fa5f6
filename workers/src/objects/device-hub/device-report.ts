import { sql as dsql, type SQL } from 'drizzle-orm';
import { bare, schema } from '../../db.ts';
import { DEVICE_REPORT_INTERVAL_MS, HOUR_MS } from '../../time.ts';
import type { RawFigures } from './retention.ts';
import { bucketCount, bucketsOf, oldestHeldSpan } from './rollup-store.ts';
import { getMeta, getSeen, setMeta } from './store.ts';

/**
 * What the DeviceHub writes to its device row in D1, and when. D1 is one database for every
 * device, so the row is written only when something a reader needs has changed:
 *
 * - at once when the device's status changes: `live` and the exact `last_seen_at` when it comes
 *   online (its first batch after a silence) and when it goes offline (the alarm finds it silent
 *   past the online window), and when the agent reports a new version;
 * - at once after a delete or a sweep asked for it (`reportSoon`);
 * - otherwise its storage figures at most every REPORT_INTERVAL_MS, and only when they changed.
 *
 * A device reporting every 10 s thus costs D1 about four statements an hour, where it cost one
 * batch per 15 s flush before.
 */

const REPORT_INTERVAL_MS = DEVICE_REPORT_INTERVAL_MS;

export interface DeviceFigures extends RawFigures {
  minuteRows: number;
  minutesFrom: number | null;
  hourRows: number;
  dayRows: number;
  /** Start of the clock hour the two sample counts end with. */
  samplesHour: number;
  samplesInHour: number;
  samplesInPreviousHour: number;
}

interface Reported {
  figures: DeviceFigures;
  at: number;
  live: boolean;
  lastSeenAt: number | null;
  agentVersion: string | null;
}

const REPORTED_KEY = 'deviceReported';
const SOON_KEY = 'reportSoon';

/** The figures as the object holds them now. */
export function deviceFigures(sql: SqlStorage, raw: RawFigures, now: number): DeviceFigures {
  const hour = now - (now % HOUR_MS);
  let samplesInHour = 0;
  let samplesInPreviousHour = 0;
  for (const { sid } of sql.exec<{ sid: number }>('SELECT sid FROM series').toArray()) {
    for (const b of bucketsOf(sql, '1h', sid, hour - HOUR_MS, hour + HOUR_MS)) {
      if (b.start === hour) samplesInHour += b.count;
      else samplesInPreviousHour += b.count;
    }
  }
  return {
    ...raw,
    minuteRows: bucketCount(sql, '1m'),
    minutesFrom: oldestHeldSpan(sql, '1m'),
    hourRows: bucketCount(sql, '1h'),
    dayRows: bucketCount(sql, '1d'),
    samplesHour: hour,
    samplesInHour,
    samplesInPreviousHour,
  };
}

/** Asks the next alarm to report the figures whatever the interval (after a delete or a sweep). */
export const reportSoon = (sql: SqlStorage) => setMeta(sql, SOON_KEY, true);

/** Whether D1 has the device as live (so it shows online without its last-seen moving). */
export const reportedLive = (sql: SqlStorage) => getMeta<Reported>(sql, REPORTED_KEY)?.live ?? false;

export interface ReportPlan {
  /** The statement to run now, if a report is due. */
  statement: SQL | null;
  /** Call once D1 has it. */
  done: () => void;
  /** When the alarm must come back for the next report (Infinity: nothing pending). */
  nextAt: number;
}

/**
 * Works out whether the device row must be written now, and what it gets. `figuresOf` reads every
 * series' hour row, so it runs only when a report may be due, not on each 15 s flush.
 */
export function planReport(
  sql: SqlStorage,
  device: { deviceId: string; orgId: string },
  figuresOf: () => DeviceFigures,
  now: number,
  windowMs: number,
): ReportPlan {
  const seen = getSeen(sql);
  const lastSeenAt = seen?.lastSeenAt ?? null;
  const live = lastSeenAt !== null && now - lastSeenAt <= windowMs;
  const agentVersion = seen?.agentVersion ?? null;
  const prev = getMeta<Reported>(sql, REPORTED_KEY);
  const statusChanged = !prev || prev.live !== live || (agentVersion !== null && prev.agentVersion !== agentVersion);
  // While live, the alarm looks again when the window would end.
  const offlineAt = live ? lastSeenAt + windowMs + 1 : Infinity;
  const forced = statusChanged || getMeta<boolean>(sql, SOON_KEY) === true;
  // Inside the interval only a status change or a request writes; figures are compared once the
  // interval is over (so an idle object wakes at most once more to find them unchanged).
  if (!forced && now - prev.at < REPORT_INTERVAL_MS) {
    return { statement: null, done: () => {}, nextAt: Math.min(offlineAt, prev.at + REPORT_INTERVAL_MS) };
  }
  const figures = figuresOf();
  if (!forced && JSON.stringify(prev!.figures) === JSON.stringify(figures)) {
    // Nothing to write: the next comparison is an interval from now, not at every alarm.
    setMeta(sql, REPORTED_KEY, { ...prev!, at: now } satisfies Reported);
    return { statement: null, done: () => {}, nextAt: offlineAt };
  }
  const d = schema.devices;
  const statement = dsql`UPDATE ${d} SET ${bare(d.rawBytes)} = ${figures.bytes}, ${bare(d.rawSamples)} = ${figures.samples},
      ${bare(d.seriesCount)} = ${figures.series}, ${bare(d.minuteRows)} = ${figures.minuteRows},
      ${bare(d.minutesFrom)} = ${figures.minutesFrom}, ${bare(d.hourRows)} = ${figures.hourRows},
      ${bare(d.dayRows)} = ${figures.dayRows}, ${bare(d.samplesHour)} = ${figures.samplesHour},
      ${bare(d.samplesInHour)} = ${figures.samplesInHour}, ${bare(d.samplesInPreviousHour)} = ${figures.samplesInPreviousHour},
      ${bare(d.live)} = ${live ? 1 : 0},
      ${bare(d.lastSeenAt)} = ${lastSeenAt === null ? bare(d.lastSeenAt) : dsql`MAX(COALESCE(${bare(d.lastSeenAt)}, 0), ${lastSeenAt})`},
      ${bare(d.agentVersion)} = COALESCE(${agentVersion}, ${bare(d.agentVersion)})
    WHERE ${bare(d.id)} = ${device.deviceId} AND ${bare(d.orgId)} = ${device.orgId}`;
  return {
    statement,
    done: () => {
      setMeta(sql, REPORTED_KEY, { figures, at: now, live, lastSeenAt, agentVersion } satisfies Reported);
      sql.exec('DELETE FROM meta WHERE key = ?', SOON_KEY);
    },
    nextAt: offlineAt,
  };
}
