import type { Aggregation, Point, RawStats, RollupAggregates, SeriesPoints } from '../../../../schema/wire/history.ts';
import { sidOf } from './store.ts';
import {
  addMinuteCount,
  countMinutes,
  decodeMinutes,
  hourOf,
  keyRange,
  type Minute,
  minuteMerges,
  seriesKeys,
  totals,
} from './minute-store.ts';
import { MINUTE_MS } from '../../time.ts';

/**
 * Reads over the DeviceHub's 1-minute rollups for the history and stats API (source `1m`), with
 * the answers D1's `rollups_1m` gave: a minute counts when it overlaps [from, to), a step bucket
 * combines its minutes, and `last` is the latest minute's.
 */

/** The minutes of one series overlapping [from, to), in time order. */
function minutesOf(store: SqlStorage, seriesId: string, from: number, to: number): Minute[] {
  const first = from - (from % MINUTE_MS);
  const sid = sidOf(store, seriesId);
  if (sid === undefined) return [];
  const rows = store
    .exec<{ block: ArrayBuffer }>(
      'SELECT block FROM minute_hours WHERE key >= ? AND key < ? ORDER BY key',
      ...keyRange(sid, hourOf(first), to),
    )
    .toArray();
  const out: Minute[] = [];
  for (const r of rows) for (const m of decodeMinutes(r.block)) if (m.minute >= first && m.minute < to) out.push(m);
  return out;
}

function combine(minutes: readonly Minute[], agg: Aggregation): number {
  const t = totals(minutes);
  return agg === 'mean' ? t.sum / t.count : t[agg];
}

/** Points per series, bucketed by `stepMs` (a multiple of a minute). */
export function minutePoints(
  store: SqlStorage,
  seriesIds: readonly string[],
  from: number,
  to: number,
  stepMs: number,
  agg: Aggregation,
): SeriesPoints[] {
  return seriesIds.map((seriesId) => {
    const buckets = new Map<number, Minute[]>();
    for (const m of minutesOf(store, seriesId, from, to)) {
      const bucket = m.minute - (m.minute % stepMs);
      const list = buckets.get(bucket) ?? [];
      list.push(m);
      buckets.set(bucket, list);
    }
    const points: Point[] = [...buckets].map(([ts, list]) => ({ ts, value: combine(list, agg) }));
    return { seriesId, points };
  });
}

/** Stats per series from minutes: everything raw gives except p95. */
export function minuteStats(store: SqlStorage, seriesIds: readonly string[], from: number, to: number): RawStats[] {
  return seriesIds.map((seriesId) => {
    const minutes = minutesOf(store, seriesId, from, to);
    if (minutes.length === 0) {
      return { seriesId, count: 0, sum: 0, min: null, max: null, last: null, lastTs: null, p95: null };
    }
    const t = totals(minutes);
    return { seriesId, ...t, lastTs: minutes[minutes.length - 1]!.minute, p95: null };
  });
}

/** Whether any of the series has a minute overlapping [from, to). */
export function minutesHeld(store: SqlStorage, seriesIds: readonly string[], from: number, to: number): boolean {
  return seriesIds.some((id) => minutesOf(store, id, from, to).length > 0);
}

/** Drops one series' minutes and pending merges (the series is being deleted). */
export function deleteSeriesMinutes(store: SqlStorage, seriesId: string): void {
  const sid = sidOf(store, seriesId);
  if (sid === undefined) return;
  const range = seriesKeys(sid);
  const minutes = countMinutes(
    store.exec<{ block: ArrayBuffer }>('SELECT block FROM minute_hours WHERE key >= ? AND key < ?', ...range).toArray(),
  );
  store.exec('DELETE FROM minute_hours WHERE key >= ? AND key < ?', ...range);
  if (minuteMerges.exists(store)) store.exec('DELETE FROM minute_merges WHERE sid = ?', sid);
  addMinuteCount(store, -minutes);
}

/** Up to `limit` minutes of one series starting in [from, to), as export rows. */
export function minuteExportRows(
  store: SqlStorage,
  seriesId: string,
  from: number,
  to: number,
  limit: number,
): (RollupAggregates & { bucket: number })[] {
  const out: (RollupAggregates & { bucket: number })[] = [];
  for (const m of minutesOf(store, seriesId, from, to)) {
    if (m.minute < from) continue;
    out.push({ bucket: m.minute, count: m.count, sum: m.sum, min: m.min, max: m.max, last: m.last });
    if (out.length === limit) break;
  }
  return out;
}
