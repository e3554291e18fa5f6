import { blockBefore, blocksIn, DAY_MS, readBlock, type BlockMeta } from './blocks.ts';

/**
 * The one reader of a series' raw samples: the head (`samples` rows) merged with its decoded
 * blocks, ascending by ts. A ts held by both is a re-sent sample not sealed yet: the head's
 * value is the newer one and wins.
 */

const HEAD_PAGE = 4_096;

/** Called per sample, ascending; return false to stop the scan. */
export type Visit = (ts: number, value: number) => boolean | void;

export interface ScanOptions {
  /**
   * Offered each block lying wholly inside [from, to) with no head sample in its time range;
   * return true when its summary row is enough (its samples are then not visited).
   */
  wholeBlock?: (block: BlockMeta) => boolean;
  /** Head rows read per query; a caller that needs few samples asks for fewer. */
  headPage?: number;
}

/** Head rows of one series, read in pages of ascending ts. */
class HeadPager {
  private rows: [number, number][] = [];
  private at = 0;
  private done = false;
  /** The ts of the sample `take` returned last. */
  lastTaken = -Infinity;

  private readonly sql: SqlStorage;
  private readonly sid: number;
  private from: number;
  private readonly to: number;
  private readonly page: number;

  constructor(sql: SqlStorage, sid: number, from: number, to: number, page: number) {
    this.sql = sql;
    this.sid = sid;
    this.from = from;
    this.to = to;
    this.page = page;
  }

  /** The next head sample's ts, or Infinity when there is none. */
  peek(): number {
    if (this.at === this.rows.length && !this.done) this.load();
    return this.at < this.rows.length ? this.rows[this.at]![0] : Infinity;
  }

  take(): [number, number] {
    const row = this.rows[this.at++]!;
    this.lastTaken = row[0];
    return row;
  }

  private load(): void {
    this.rows = [
      ...this.sql
        .exec<{ ts: number; value: number }>(
          'SELECT ts, value FROM samples WHERE sid = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?',
          this.sid,
          this.from,
          this.to,
          this.page,
        )
        .raw(),
    ] as [number, number][];
    this.at = 0;
    this.done = this.rows.length < this.page;
    if (this.rows.length > 0) this.from = this.rows.at(-1)![0] + 1;
  }
}

/** Visits the samples of `sid` in [from, to), ascending, until `visit` returns false. */
export function scanRaw(
  sql: SqlStorage,
  sid: number,
  from: number,
  to: number,
  visit: Visit,
  options: ScanOptions = {},
): void {
  const head = new HeadPager(sql, sid, from, to, options.headPage ?? HEAD_PAGE);
  for (const b of blocksIn(sql, sid, from, to)) {
    while (head.peek() < b.firstTs) {
      const [ts, value] = head.take();
      if (visit(ts, value) === false) return;
    }
    if (options.wholeBlock && b.firstTs >= from && b.lastTs < to && head.peek() > b.lastTs && options.wholeBlock(b)) {
      continue;
    }
    const block = readBlock(sql, b.id);
    for (let i = 0; i < block.ts.length; i++) {
      const ts = block.ts[i]!;
      if (ts < from) continue;
      if (ts >= to) break;
      while (head.peek() <= ts) {
        const [hts, value] = head.take();
        if (visit(hts, value) === false) return;
      }
      // The head sample at this ts (if any) was visited just above.
      if (head.lastTaken === ts) continue;
      if (visit(ts, block.values[i]!) === false) return;
    }
  }
  while (head.peek() < Infinity) {
    const [ts, value] = head.take();
    if (visit(ts, value) === false) return;
  }
}

/** Up to `limit` samples of `sid` in [from, to), ascending. */
export function readRaw(
  sql: SqlStorage,
  sid: number,
  from: number,
  to: number,
  limit: number,
): { ts: number; value: number }[] {
  const out: { ts: number; value: number }[] = [];
  if (limit <= 0) return out;
  scanRaw(
    sql,
    sid,
    from,
    to,
    (ts, value) => {
      out.push({ ts, value });
      return out.length < limit;
    },
    { headPage: Math.min(limit, HEAD_PAGE) },
  );
  return out;
}

/**
 * Up to `limit` samples of `sid` in [from, to), ascending, as columns: what crosses an RPC as
 * two buffer copies (export pages, raw history) instead of one object per sample.
 */
export function readRawColumns(
  sql: SqlStorage,
  sid: number,
  from: number,
  to: number,
  limit: number,
): { ts: Float64Array; values: Float64Array } {
  const cap = Math.max(0, limit);
  let ts = new Float64Array(Math.min(cap, HEAD_PAGE));
  let values = new Float64Array(ts.length);
  let n = 0;
  if (cap > 0) {
    scanRaw(
      sql,
      sid,
      from,
      to,
      (t, v) => {
        if (n === ts.length) {
          // Grow by doubling, never past the limit.
          const size = Math.min(cap, ts.length * 2);
          const [grownTs, grownValues] = [new Float64Array(size), new Float64Array(size)];
          grownTs.set(ts);
          grownValues.set(values);
          [ts, values] = [grownTs, grownValues];
        }
        ts[n] = t;
        values[n++] = v;
        return n < cap;
      },
      { headPage: Math.min(cap, HEAD_PAGE) },
    );
  }
  return { ts: ts.slice(0, n), values: values.slice(0, n) };
}

/** The latest sample of `sid` before `before`, if any. */
export function lastBefore(sql: SqlStorage, sid: number, before: number): { ts: number; value: number } | undefined {
  const head = sql
    .exec<{ ts: number; value: number }>(
      'SELECT ts, value FROM samples WHERE sid = ? AND ts < ? ORDER BY ts DESC LIMIT 1',
      sid,
      before,
    )
    .toArray()[0];
  const meta = blockBefore(sql, sid, before);
  if (!meta || (head && head.ts >= Math.min(meta.lastTs, before - 1))) return head;
  const block = readBlock(sql, meta.id);
  for (let i = block.ts.length - 1; i >= 0; i--) {
    const ts = block.ts[i]!;
    if (ts < before) return head && head.ts >= ts ? head : { ts, value: block.values[i]! };
  }
  return head;
}

/**
 * Samples held (head and blocks), each ts counted once: a head sample at a ts its block also
 * holds (re-sent, not sealed yet) is counted once. For one series, or all with `sid` null.
 */
export function countRaw(sql: SqlStorage, sid: number | null): number {
  const where = sid === null ? '' : 'WHERE sid = ?';
  const params = sid === null ? [] : [sid];
  const head = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM samples ${where}`, ...params).one().n;
  const sealed = sql.exec<{ n: number }>(`SELECT COALESCE(SUM(count), 0) AS n FROM blocks ${where}`, ...params).one().n;
  return head + sealed - duplicates(sql, sid);
}

/** Head samples whose ts a block of their series also holds. */
function duplicates(sql: SqlStorage, sid: number | null): number {
  const overlapping = sql
    .exec<{ id: number; sid: number; first_ts: number; last_ts: number }>(
      `SELECT DISTINCT b.id, b.sid, b.first_ts, b.last_ts FROM samples s JOIN blocks b
         ON b.sid = s.sid AND b.first_ts <= s.ts AND b.first_ts > s.ts - ${DAY_MS} AND b.last_ts >= s.ts
       ${sid === null ? '' : 'WHERE s.sid = ?'}`,
      ...(sid === null ? [] : [sid]),
    )
    .toArray();
  let n = 0;
  for (const b of overlapping) {
    const block = readBlock(sql, b.id);
    const held = new Set(block.ts);
    const head = sql
      .exec<{ ts: number }>(
        'SELECT ts FROM samples WHERE sid = ? AND ts >= ? AND ts <= ?',
        b.sid,
        b.first_ts,
        b.last_ts,
      )
      .toArray();
    for (const { ts } of head) if (held.has(ts)) n++;
  }
  return n;
}
