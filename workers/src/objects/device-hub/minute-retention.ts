import { DAY_MS } from '../../time.ts';
import { addMinuteCount, advanceWatermark, countMinutes, hourOf, keyRange } from './minute-store.ts';
import { orgRetentionDays, SWEEP_AGAIN_MS, UPKEEP_INTERVAL_MS } from './retention.ts';

/**
 * Retention of the DeviceHub's 1-minute rollups (org `rollup1mRetentionDays`): hour rows before
 * the cutoff go in bounded chunks, from the alarm (the setting read at most hourly) or when the
 * cron finds the device row reporting minutes past the org's window. The watermark moves first,
 * in the same transaction, so late data for an hour being swept is merged, never rebuilt from
 * the minutes that are left; and it stops before the first hour with a minute still waiting for
 * its flush, whose D1 row is not complete yet.
 */

/** Hour rows deleted per run, so one run stays short. */
export const MINUTE_SWEEP_CHUNK = 5_000;

/** Deletes up to one chunk of hour rows before `cutoff` (an hour); returns whether more may be left. */
export function sweepMinutes(store: SqlStorage, cutoff: number): boolean {
  const oldestDirty = store.exec<{ m: number | null }>('SELECT MIN(minute) AS m FROM dirty_minutes').one().m;
  const before = hourOf(oldestDirty === null ? cutoff : Math.min(cutoff, oldestDirty));
  advanceWatermark(store, before);
  let left = MINUTE_SWEEP_CHUNK;
  let minutes = 0;
  for (const { sid } of store.exec<{ sid: number }>('SELECT sid FROM series ORDER BY sid').toArray()) {
    const [low, high] = keyRange(sid, 0, before);
    const rows = store
      .exec<{ key: number; block: ArrayBuffer }>(
        'SELECT key, block FROM minute_hours WHERE key >= ? AND key < ? ORDER BY key LIMIT ?',
        low,
        high,
        left,
      )
      .toArray();
    if (rows.length === 0) continue;
    minutes += countMinutes(rows);
    store.exec('DELETE FROM minute_hours WHERE key >= ? AND key <= ?', low, rows[rows.length - 1]!.key);
    left -= rows.length;
    if (left === 0) break;
  }
  addMinuteCount(store, -minutes);
  return left === 0;
}

/** The alarm's step: sweeps with the org's setting; returns when the alarm must come back (Infinity: no need). */
export async function upkeepMinutes(
  d1: D1Database,
  store: SqlStorage,
  orgId: string,
  now: number,
  transact: <T>(fn: () => T) => T,
): Promise<number> {
  const days = await orgRetentionDays(d1, store, orgId, now, '1m');
  const more = days !== null && transact(() => sweepMinutes(store, hourOf(now) - days * DAY_MS));
  if (more) return now + SWEEP_AGAIN_MS;
  const holds = store.exec('SELECT 1 FROM minute_hours LIMIT 1').toArray().length > 0;
  return holds ? now + UPKEEP_INTERVAL_MS : Number.POSITIVE_INFINITY;
}
