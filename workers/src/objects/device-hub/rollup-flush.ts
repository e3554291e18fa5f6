import { clearFlushed, type RollupRow } from './flush.ts';
import { MINUTE_MS } from '../../time.ts';
import {
  addPart,
  type Bucket,
  bucketOf,
  type Level,
  readSpan,
  spanOf,
  totals,
  type Totals,
  updateSpan,
  watermark,
} from './rollup-store.ts';

/**
 * The flush's rollup part, all in the object's own SQLite: dirty minutes computed from raw
 * samples go into their hour rows, the hours they touch are rebuilt from their minutes, and the
 * days those touch from their hours. Nothing reaches D1, so the flush costs D1 nothing.
 *
 * Rebuilding from the finer level writes absolute values, so a flush that runs twice (alarms
 * are at-least-once) writes the same rows. Late data below a level's watermark, where the finer
 * buckets have been swept, is added to the coarser bucket instead, once: its minutes and their
 * raw samples go in the same transaction, so a later sample in the same minute cannot bring
 * them back for a second addition.
 */

/** Where a (series, bucket) change goes: the span row and the bucket in it. */
type Changes = Map<string, { sid: number; span: number; buckets: Map<number, Bucket | null> }>;

function change(changes: Changes, level: Level, sid: number, bucket: Bucket | null, start: number): void {
  const span = spanOf(level, start);
  const key = `${sid}:${span}`;
  const entry = changes.get(key) ?? { sid, span, buckets: new Map() };
  entry.buckets.set(start, bucket);
  changes.set(key, entry);
}

const asBucket = (start: number, t: Totals | null): Bucket | null => (t ? { start, ...t } : null);

/** The bucket `start` of a level as held (with changes made in this flush applied first). */
function held(sql: SqlStorage, changes: Changes, level: Level, sid: number, start: number): Bucket | undefined {
  const pending = changes.get(`${sid}:${spanOf(level, start)}`)?.buckets;
  if (pending?.has(start)) return pending.get(start) ?? undefined;
  return readSpan(sql, level, sid, spanOf(level, start)).find((b) => b.start === start);
}

/**
 * Moves dirty minutes into the minute, hour and day rows and clears their marks. Synchronous:
 * run it inside one storage transaction, so the three levels move together.
 */
export function rollUpLocally(sql: SqlStorage, rows: readonly RollupRow[]): void {
  const minuteMark = watermark(sql, '1m') ?? -Infinity;
  const hourMark = watermark(sql, '1h') ?? -Infinity;
  const dayMark = watermark(sql, '1d') ?? -Infinity;
  const byHour = new Map<string, RollupRow[]>();
  for (const r of rows) {
    const key = `${r.sid}:${bucketOf('1h', r.minute)}`;
    const list = byHour.get(key) ?? [];
    list.push(r);
    byHour.set(key, list);
  }
  const hours: Changes = new Map();
  const days: Changes = new Map();
  /** Days rebuilt from their hours once every hour change is in. */
  const rebuild = new Map<string, { sid: number; day: number }>();
  for (const list of byHour.values()) {
    const { sid } = list[0]!;
    const hour = bucketOf('1h', list[0]!.minute);
    const day = bucketOf('1d', hour);
    const minutes = list
      .map((r): Bucket => ({ start: r.minute, count: r.count, sum: r.sum, min: r.min, max: r.max, last: r.last }))
      .sort((a, b) => a.start - b.start);
    if (hour >= minuteMark) {
      const all = updateSpan(sql, '1m', sid, hour, new Map(minutes.map((m) => [m.start, m])));
      change(hours, '1h', sid, asBucket(hour, totals(all)), hour);
      rebuild.set(`${sid}:${day}`, { sid, day });
      continue;
    }
    // Below the minute watermark: the minutes themselves are not kept, only their part of the hour.
    const part = totals(minutes)!;
    for (const r of list)
      sql.exec('DELETE FROM samples WHERE sid = ? AND ts >= ? AND ts < ?', sid, r.minute, r.minute + MINUTE_MS);
    if (day >= hourMark) {
      change(hours, '1h', sid, { start: hour, ...addPart(held(sql, hours, '1h', sid, hour), part) }, hour);
      rebuild.set(`${sid}:${day}`, { sid, day });
    } else if (day >= dayMark) {
      change(days, '1d', sid, { start: day, ...addPart(held(sql, days, '1d', sid, day), part) }, day);
    }
    // Older than every level keeps: nothing holds it any more.
  }
  const hourSpans = new Map<string, Bucket[]>();
  for (const [key, c] of hours) hourSpans.set(key, updateSpan(sql, '1h', c.sid, c.span, c.buckets));
  for (const { sid, day } of rebuild.values()) {
    const buckets = hourSpans.get(`${sid}:${day}`) ?? readSpan(sql, '1h', sid, day);
    change(days, '1d', sid, asBucket(day, totals(buckets)), day);
  }
  for (const c of days.values()) updateSpan(sql, '1d', c.sid, c.span, c.buckets);
  clearFlushed(sql, [...rows]);
}
