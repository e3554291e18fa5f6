import { sql, type SQL } from 'drizzle-orm';
import { bare, db, schema } from '../../db.ts';
import { clearFlushed, type RollupRow } from './flush.ts';
import { DAY_MS, MINUTE_MS } from '../../time.ts';
import {
  hourOf,
  type HourTotals,
  mergeMinutes,
  minuteCount,
  minuteWatermark,
  minuteMerges,
  oldestHeldHour,
  totals,
} from './minute-store.ts';
import { getMeta, setMeta } from './store.ts';

/**
 * The flush's rollup part: the dirty minutes computed from raw samples go into the object's
 * hour rows, and the hours they touch go to D1 as absolute values (a repeated flush writes the
 * same rows). Hours whose minutes the object already swept are merged into D1's row instead,
 * exactly once: see {@link MergeRow}.
 */

/** Rows per D1 statement: one JSON parameter each, well under D1's statement limits. */
const ROWS_PER_STATEMENT = 400;

export interface HourRow extends Partial<HourTotals> {
  /** D1's integer series id (series.num). */
  num: number;
  hour: number;
  /** Absent: the hour has no minutes left, and D1's row goes. */
  count?: number;
}

/**
 * Late data for an hour before the minute watermark: added to D1's hour row once. The merge
 * waits in the object's outbox (`minute_merges`) until D1 has it, and D1 keeps its token in
 * `rollup_merges`, written in the same batch; the merge statement skips a token D1 has seen,
 * so a merge re-sent after a lost acknowledgement (or a crash before the outbox was cleared)
 * counts once.
 */
export interface MergeRow extends HourTotals {
  token: string;
  num: number;
  hour: number;
}

export interface MinuteFlush {
  hours: HourRow[];
  merges: MergeRow[];
  /** Dirty minutes written to hour rows, cleared once D1 has their hours. */
  cleared: RollupRow[];
}

/**
 * Moves dirty minutes into the object's hour rows (or, below the watermark, into the merge
 * outbox), synchronously: run it inside one storage transaction. `nums` maps local sids to D1's
 * ids; minutes of a series D1 no longer knows (deleted) are dropped.
 */
export function planMinuteFlush(
  store: SqlStorage,
  rows: readonly RollupRow[],
  nums: ReadonlyMap<number, number>,
): MinuteFlush {
  const watermark = minuteWatermark(store) ?? -Infinity;
  const byHour = new Map<string, RollupRow[]>();
  for (const r of rows) {
    const key = `${r.sid}:${hourOf(r.minute)}`;
    const list = byHour.get(key) ?? [];
    list.push(r);
    byHour.set(key, list);
  }
  const out: MinuteFlush = { hours: [], merges: [], cleared: [] };
  const forgotten: RollupRow[] = [];
  for (const list of byHour.values()) {
    const { sid } = list[0]!;
    const hour = hourOf(list[0]!.minute);
    const num = nums.get(sid);
    if (num === undefined) {
      forgotten.push(...list);
      continue;
    }
    const minutes = list.map((r) => ({
      minute: r.minute,
      count: r.count,
      sum: r.sum,
      min: r.min,
      max: r.max,
      last: r.last,
    }));
    if (hour >= watermark) {
      out.hours.push({ num, hour, ...(mergeMinutes(store, sid, hour, minutes) ?? {}) });
      out.cleared.push(...list);
    } else {
      queueMerge(store, sid, hour, totals(minutes.sort((a, b) => a.minute - b.minute)), list);
    }
  }
  // Kept out of `cleared`: these marks go now, in this transaction.
  clearFlushed(store, forgotten);
  out.merges = pendingMerges(store, nums);
  return out;
}

/**
 * Puts one late part in the outbox and, in the same transaction, drops its dirty marks and its
 * raw samples: those are older than the minute retention (so past the raw one, which is never
 * longer), and a later sample in the same minute must not bring them into a second merge.
 */
function queueMerge(store: SqlStorage, sid: number, hour: number, t: HourTotals, list: RollupRow[]): void {
  const seq = (getMeta<number>(store, 'mergeSeq') ?? 0) + 1;
  setMeta(store, 'mergeSeq', seq);
  const token = `${getMeta<string>(store, 'mergeScope') ?? newScope(store)}:${seq}`;
  minuteMerges.ensure(store);
  store.exec(
    'INSERT INTO minute_merges (token, sid, hour, count, sum, min, max, last) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    token,
    sid,
    hour,
    t.count,
    t.sum,
    t.min,
    t.max,
    t.last,
  );
  clearFlushed(store, list);
  for (const r of list)
    store.exec('DELETE FROM samples WHERE sid = ? AND ts >= ? AND ts < ?', sid, r.minute, r.minute + MINUTE_MS);
}

/** A random prefix per object, so tokens of two objects (or of a wiped one's next life) never meet. */
function newScope(store: SqlStorage): string {
  const scope = crypto.randomUUID();
  setMeta(store, 'mergeScope', scope);
  return scope;
}

function pendingMerges(store: SqlStorage, nums: ReadonlyMap<number, number>): MergeRow[] {
  if (!minuteMerges.exists(store)) return [];
  const rows = store
    .exec<Omit<MergeRow, 'num'> & { sid: number }>(
      'SELECT token, sid, hour, count, sum, min, max, last FROM minute_merges',
    )
    .toArray();
  const out: MergeRow[] = [];
  for (const { sid, ...r } of rows) {
    const num = nums.get(sid);
    // A series D1 no longer has: its merge has nowhere to go.
    if (num === undefined) store.exec('DELETE FROM minute_merges WHERE token = ?', r.token);
    else out.push({ ...r, num });
  }
  return out;
}

/** Local series ids that the merge outbox refers to (their D1 ids are needed too). */
export function outboxSids(store: SqlStorage): number[] {
  if (!minuteMerges.exists(store)) return [];
  return store
    .exec<{ sid: number }>('SELECT DISTINCT sid FROM minute_merges')
    .toArray()
    .map((r) => r.sid);
}

/** After D1 committed: the outbox entries it now has. */
export function mergesSent(store: SqlStorage, merges: readonly MergeRow[]): void {
  if (merges.length === 0) return;
  store.exec(
    'DELETE FROM minute_merges WHERE token IN (SELECT value FROM json_each(?))',
    JSON.stringify(merges.map((m) => m.token)),
  );
}

/** D1 statements for a flush's hours and merges, and the marks of their days for the cron. */
export function minuteStatements(orgId: string, flush: MinuteFlush, now: number): SQL[] {
  const h = schema.rollups1h;
  const g = schema.rollupMerges;
  const m = schema.rollupMarks;
  const out: SQL[] = [];
  const insert = sql`INSERT INTO ${h} (${bare(h.sid)}, ${bare(h.bucket)}, ${bare(h.count)}, ${bare(h.sum)}, ${bare(h.min)}, ${bare(h.max)}, ${bare(h.last)})`;
  const written = flush.hours.filter((r) => r.count !== undefined);
  for (const chunk of chunks(written.map((r) => [r.num, r.hour, r.count, r.sum, r.min, r.max, r.last]))) {
    out.push(sql`${insert} SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6
      FROM json_each(${JSON.stringify(chunk)}) WHERE true
      ON CONFLICT (${bare(h.sid)}, ${bare(h.bucket)}) DO UPDATE SET ${bare(h.count)} = excluded.${bare(h.count)},
        ${bare(h.sum)} = excluded.${bare(h.sum)}, ${bare(h.min)} = excluded.${bare(h.min)},
        ${bare(h.max)} = excluded.${bare(h.max)}, ${bare(h.last)} = excluded.${bare(h.last)}`);
  }
  const emptied = flush.hours.filter((r) => r.count === undefined);
  for (const chunk of chunks(emptied.map((r) => [r.num, r.hour]))) {
    out.push(
      sql`DELETE FROM ${h} WHERE (${bare(h.sid)}, ${bare(h.bucket)}) IN (SELECT value ->> 0, value ->> 1 FROM json_each(${JSON.stringify(chunk)}))`,
    );
  }
  for (const chunk of chunks(flush.merges.map((r) => [r.token, r.num, r.hour, r.count, r.sum, r.min, r.max, r.last]))) {
    const json = JSON.stringify(chunk);
    // Late rows are most often the newer ones, so their `last` wins (rollups keep no time of `last`).
    out.push(sql`${insert} SELECT j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7
      FROM json_each(${json}) j
      WHERE NOT EXISTS (SELECT 1 FROM ${g} WHERE ${g.token} = j.value ->> 0)
      ON CONFLICT (${bare(h.sid)}, ${bare(h.bucket)}) DO UPDATE SET
        ${bare(h.count)} = ${bare(h.count)} + excluded.${bare(h.count)}, ${bare(h.sum)} = ${bare(h.sum)} + excluded.${bare(h.sum)},
        ${bare(h.min)} = MIN(${bare(h.min)}, excluded.${bare(h.min)}), ${bare(h.max)} = MAX(${bare(h.max)}, excluded.${bare(h.max)}),
        ${bare(h.last)} = excluded.${bare(h.last)}`);
    out.push(sql`INSERT INTO ${g} (${bare(g.token)}, ${bare(g.at)}) SELECT value ->> 0, ${now} FROM json_each(${json}) WHERE true
      ON CONFLICT DO NOTHING`);
  }
  const days = new Map<string, [number, number]>();
  for (const r of [...flush.hours, ...flush.merges]) {
    const day = r.hour - (r.hour % DAY_MS);
    days.set(`${r.num}:${day}`, [r.num, day]);
  }
  for (const chunk of chunks([...days.values()])) {
    out.push(sql`INSERT INTO ${m} (${bare(m.level)}, ${bare(m.sid)}, ${bare(m.bucket)}, ${bare(m.orgId)})
      SELECT '1d', value ->> 0, value ->> 1, ${orgId} FROM json_each(${JSON.stringify(chunk)}) WHERE true
      ON CONFLICT DO NOTHING`);
  }
  return out;
}

export interface MinuteFigures {
  rows: number;
  from: number | null;
}

/** The minute figures for the device row, when they differ from the last ones reported. */
export function minuteReport(store: SqlStorage): MinuteFigures | null {
  const figures = { rows: minuteCount(store), from: oldestHeldHour(store) };
  const reported = getMeta<MinuteFigures>(store, 'minuteReported');
  return reported?.rows === figures.rows && reported.from === figures.from ? null : figures;
}

export function minuteReportStatement(device: { deviceId: string; orgId: string }, figures: MinuteFigures): SQL {
  const d = schema.devices;
  return sql`UPDATE ${d} SET ${bare(d.minuteRows)} = ${figures.rows}, ${bare(d.minutesFrom)} = ${figures.from}
    WHERE ${bare(d.id)} = ${device.deviceId} AND ${bare(d.orgId)} = ${device.orgId}`;
}

export const markMinutesReported = (store: SqlStorage, figures: MinuteFigures) =>
  setMeta(store, 'minuteReported', figures);

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/**
 * D1's integer ids for these local series, from the local rows, asking D1 for those an older
 * object never learnt. A series D1 no longer has is left out.
 */
export async function seriesNums(
  d1: D1Database,
  store: SqlStorage,
  sids: readonly number[],
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (sids.length === 0) return out;
  const local = store
    .exec<{ sid: number; series_id: string; num: number | null }>(
      'SELECT sid, series_id, num FROM series WHERE sid IN (SELECT value FROM json_each(?))',
      JSON.stringify([...new Set(sids)]),
    )
    .toArray();
  const missing = local.filter((r) => r.num === null);
  for (const r of local) if (r.num !== null) out.set(r.sid, r.num);
  if (missing.length > 0) {
    const s = schema.series;
    const found = await db(d1).all<{ id: string; num: number }>(
      sql`SELECT ${s.id} AS id, ${s.num} AS num FROM ${s} WHERE ${s.id} IN (SELECT value FROM json_each(${JSON.stringify(missing.map((r) => r.series_id))}))`,
    );
    const byId = new Map(found.map((r) => [r.id, r.num]));
    for (const r of missing) {
      const num = byId.get(r.series_id);
      if (num === undefined) continue;
      store.exec('UPDATE series SET num = ? WHERE sid = ?', num, r.sid);
      out.set(r.sid, num);
    }
  }
  return out;
}
