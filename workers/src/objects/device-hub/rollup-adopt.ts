import { and, eq, sql as dsql } from 'drizzle-orm';
import { db, schema, statement } from '../../db.ts';
import { tableExists } from './lazy-tables.ts';
import { sweepLevel } from './rollup-retention.ts';
import {
  addPart,
  type Bucket,
  bucketOf,
  keyRange,
  type Level,
  readSpan,
  spanOf,
  spanOfKey,
  totals,
  updateSpan,
  watermark,
  advanceWatermark,
  decodeBuckets,
  seriesKeys,
  spanRows,
} from './rollup-store.ts';
import { getMeta, setMeta } from './store.ts';

/**
 * Bringing in the hours and days an object from before they lived here has in D1 (`rollups_1h`,
 * `rollups_1d`, written by the old flush and cron). Runs from the alarm in bounded chunks, each
 * in one transaction, so the object stays readable and keeps flushing meanwhile; reads of 1h and
 * 1d miss what is not in yet for the seconds it takes.
 *
 * What the object wrote itself since wins where it is complete: an hour rebuilt from minutes it
 * holds (at or after the minute watermark). A late part it added below that is added to D1's
 * value instead, and days from the hour watermark on are rebuilt from their hours at the end.
 * D1's hour sweep watermark (`rollup_sweeps`) becomes the object's hour watermark; hours D1 kept
 * below it (late data the cron had not merged yet) are added to their days, as the cron would
 * have done, and what the old flush's merge outbox (`minute_merges`) holds and D1 has not
 * counted (its token is not in `rollup_merges`) is added to hours or days.
 * The D1 tables are no longer written, and a later release drops them.
 */

/** Meta key of the adoption's progress; absent when nothing is (left) to adopt. */
const ADOPTION_KEY = 'rollupAdoption';
/** D1 rows read per chunk. */
const ADOPT_CHUNK = 2_000;

interface Adoption {
  level: '1h' | '1d';
  /** The last (series num, bucket) taken, in D1's key order. */
  after: [number, number] | null;
}

/** Called when the hour and day tables are created: an object that has series may have rollups in D1. */
export function markAdoption(sql: SqlStorage): void {
  if (sql.exec('SELECT 1 FROM series LIMIT 1').toArray().length === 0) return;
  setMeta(sql, ADOPTION_KEY, { level: '1h', after: null } satisfies Adoption);
}

export const adoptionPending = (sql: SqlStorage) => getMeta<Adoption>(sql, ADOPTION_KEY) !== undefined;

type D1Row = {
  sid: number;
  bucket: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
};

/** Takes one chunk; returns whether more is left. */
export async function adoptD1Rollups(
  d1: D1Database,
  sql: SqlStorage,
  orgId: string,
  transact: <T>(fn: () => T) => T,
): Promise<boolean> {
  const state = getMeta<Adoption>(sql, ADOPTION_KEY);
  if (!state) return false;
  const sids = sql
    .exec<{ sid: number }>('SELECT sid FROM series')
    .toArray()
    .map((r) => r.sid);
  const nums = await seriesNums(d1, sql, sids);
  const localOf = new Map([...nums].map(([sid, num]) => [num, sid]));
  const t = state.level === '1h' ? schema.rollups1h : schema.rollups1d;
  const [afterNum, afterBucket] = state.after ?? [-1, -1];
  const rows = await db(d1).all<D1Row>(
    dsql`SELECT ${t.sid} AS sid, ${t.bucket} AS bucket, ${t.count} AS count, ${t.sum} AS sum, ${t.min} AS min, ${t.max} AS max, ${t.last} AS last
      FROM ${t} WHERE ${t.sid} IN (SELECT value FROM json_each(${JSON.stringify([...nums.values()])}))
        AND (${t.sid} > ${afterNum} OR (${t.sid} = ${afterNum} AND ${t.bucket} > ${afterBucket}))
      ORDER BY ${t.sid}, ${t.bucket} LIMIT ${ADOPT_CHUNK}`,
  );
  const last = rows.length < ADOPT_CHUNK && state.level === '1d';
  const through = last ? await d1SweepWatermark(d1, orgId) : undefined;
  const merged = last ? await d1MergedTokens(d1, sql) : new Set<string>();
  transact(() => {
    takeRows(sql, state.level, rows, localOf);
    const lastRow = rows[rows.length - 1];
    if (rows.length === ADOPT_CHUNK && lastRow) {
      setMeta(sql, ADOPTION_KEY, { level: state.level, after: [lastRow.sid, lastRow.bucket] } satisfies Adoption);
    } else if (state.level === '1h') {
      setMeta(sql, ADOPTION_KEY, { level: '1d', after: null } satisfies Adoption);
    } else {
      finish(sql, through ?? null, merged);
      sql.exec('DELETE FROM meta WHERE key = ?', ADOPTION_KEY);
    }
  });
  return adoptionPending(sql);
}

/** Writes one chunk of D1 rows into the level's spans, combined with what the object holds. */
function takeRows(sql: SqlStorage, level: Level, rows: readonly D1Row[], localOf: ReadonlyMap<number, number>): void {
  const minuteMark = watermark(sql, '1m') ?? -Infinity;
  const spans = new Map<string, { sid: number; span: number; rows: D1Row[] }>();
  for (const r of rows) {
    const sid = localOf.get(r.sid);
    if (sid === undefined) continue;
    const span = spanOf(level, r.bucket);
    const key = `${sid}:${span}`;
    const entry = spans.get(key) ?? { sid, span, rows: [] };
    entry.rows.push(r);
    spans.set(key, entry);
  }
  for (const { sid, span, rows: list } of spans.values()) {
    const held = new Map(readSpan(sql, level, sid, span).map((b) => [b.start, b]));
    const changes = new Map<number, Bucket>();
    for (const { sid: _num, bucket, ...d1 } of list) {
      const mine = held.get(bucket);
      // An hour rebuilt here from minutes is complete and newer; anything else here is a part to add.
      if (mine && level === '1h' && bucket >= minuteMark) continue;
      changes.set(bucket, { start: bucket, ...(mine ? addPart(d1, mine) : d1) });
    }
    updateSpan(sql, level, sid, span, changes);
  }
}

/** The org's hour sweep watermark in D1, if the cron ever swept hours. */
async function d1SweepWatermark(d1: D1Database, orgId: string): Promise<number | null> {
  const w = schema.rollupSweeps;
  const row = await db(d1)
    .select({ through: w.through })
    .from(w)
    .where(and(eq(w.orgId, orgId), eq(w.level, '1h')))
    .get();
  return row?.through ?? null;
}

/**
 * The tokens of the old merge outbox that D1 already counted: the old flush cleared its outbox
 * only after D1 confirmed, so a lost confirmation left a part there that D1's hour includes.
 */
async function d1MergedTokens(d1: D1Database, sql: SqlStorage): Promise<Set<string>> {
  if (!tableExists(sql, 'minute_merges')) return new Set();
  const tokens = sql
    .exec<{ token: string }>('SELECT token FROM minute_merges')
    .toArray()
    .map((r) => r.token);
  const g = schema.rollupMerges;
  const found = await db(d1)
    .select({ token: g.token })
    .from(g)
    .where(dsql`${g.token} IN (SELECT value FROM json_each(${JSON.stringify(tokens)}))`);
  return new Set(found.map((r) => r.token));
}

/** Hour watermark, hours left below it into their days, the old merge outbox, and days rebuilt from hours. */
function finish(sql: SqlStorage, hourMark: number | null, merged: ReadonlySet<string>): void {
  const series = sql.exec<{ sid: number }>('SELECT sid FROM series').toArray();
  if (hourMark !== null) {
    for (const { sid } of series) foldHoursBefore(sql, sid, hourMark);
    advanceWatermark(sql, '1h', hourMark);
    // Minutes ≥ hours: the minute watermark follows (minutes that old are normally gone already).
    while (sweepLevel(sql, '1m', hourMark));
  }
  const mark = watermark(sql, '1h') ?? -Infinity;
  if (tableExists(sql, 'minute_merges')) {
    const parts = sql
      .exec<D1Row & { token: string }>(
        'SELECT token, sid, hour AS bucket, count, sum, min, max, last FROM minute_merges ORDER BY token',
      )
      .toArray();
    for (const { token, sid, bucket, ...part } of parts) {
      if (merged.has(token)) continue;
      const level: Level = bucketOf('1d', bucket) >= mark ? '1h' : '1d';
      const start = bucketOf(level, bucket);
      const held = readSpan(sql, level, sid, spanOf(level, start)).find((b) => b.start === start);
      updateSpan(sql, level, sid, spanOf(level, start), new Map([[start, { start, ...addPart(held, part) }]]));
    }
    sql.exec('DROP TABLE minute_merges');
  }
  for (const { sid } of series) rebuildDays(sql, sid, mark);
}

/** Adds the hours of days before `before` to those days, and deletes them. */
function foldHoursBefore(sql: SqlStorage, sid: number, before: number): void {
  const rows = spanRows(sql, '1h', ...keyRange('1h', sid, 0, before));
  for (const r of rows) {
    const day = spanOfKey('1h', r.key);
    const hours = decodeBuckets(r.block);
    const held = readSpan(sql, '1d', sid, spanOf('1d', day)).find((b) => b.start === day);
    updateSpan(sql, '1d', sid, spanOf('1d', day), new Map([[day, { start: day, ...addPart(held, totals(hours)!) }]]));
    updateSpan(sql, '1h', sid, day, new Map(hours.map((h) => [h.start, null])));
  }
}

/** Every day from `from` on that has hours, rebuilt from them as an absolute value. */
function rebuildDays(sql: SqlStorage, sid: number, from: number): void {
  const low = keyRange('1h', sid, Number.isFinite(from) ? from : 0, 0)[0];
  const rows = spanRows(sql, '1h', low, seriesKeys(sid)[1]);
  const bySpan = new Map<number, Map<number, Bucket>>();
  for (const r of rows) {
    const day = spanOfKey('1h', r.key);
    const span = spanOf('1d', day);
    const changes = bySpan.get(span) ?? new Map<number, Bucket>();
    changes.set(day, { start: day, ...totals(decodeBuckets(r.block))! });
    bySpan.set(span, changes);
  }
  for (const [span, changes] of bySpan) updateSpan(sql, '1d', sid, span, changes);
}

/**
 * D1's integer ids for these local series, from the local rows, asking D1 for those an older
 * object never learnt. A series D1 no longer has is left out.
 */
export async function seriesNums(
  d1: D1Database,
  sql: SqlStorage,
  sids: readonly number[],
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (sids.length === 0) return out;
  const local = sql
    .exec<{ sid: number; series_id: string; num: number | null }>(
      'SELECT sid, series_id, num FROM series WHERE sid IN (SELECT value FROM json_each(?))',
      JSON.stringify([...new Set(sids)]),
    )
    .toArray();
  const missing = local.filter((r) => r.num === null);
  for (const r of local) if (r.num !== null) out.set(r.sid, r.num);
  if (missing.length > 0) {
    const s = schema.series;
    const found = await statement(
      d1,
      dsql`SELECT ${s.id} AS id, ${s.num} AS num FROM ${s} WHERE ${s.id} IN (SELECT value FROM json_each(${JSON.stringify(missing.map((r) => r.series_id))}))`,
    ).all<{ id: string; num: number }>();
    const byId = new Map(found.results.map((r) => [r.id, r.num]));
    for (const r of missing) {
      const num = byId.get(r.series_id);
      if (num === undefined) continue;
      sql.exec('UPDATE series SET num = ? WHERE sid = ?', num, r.sid);
      out.set(r.sid, num);
    }
  }
  return out;
}
