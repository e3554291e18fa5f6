import { blockBefore, blocksIn, readBlock, type BlockMeta } from './blocks.ts';

/**
 * The one reader of a series' raw samples: the head (`samples` rows) merged with its decoded
 * blocks, ascending by ts. No ts is in both: a batch that brings a sample into a sealed minute
 * moves that minute back to the head first (blocks-unseal.ts), and sealing deletes the head rows
 * it wrote into blocks in the same synchronous step (seal.ts).
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
    return this.rows[this.at++]!;
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
      while (head.peek() < ts) {
        const [hts, value] = head.take();
        if (visit(hts, value) === false) return;
      }
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

/** Samples held (head and blocks), for one series or all with `sid` null. */
export function countRaw(sql: SqlStorage, sid: number | null): number {
  const where = sid === null ? '' : 'WHERE sid = ?';
  const params = sid === null ? [] : [sid];
  const head = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM samples ${where}`, ...params).one().n;
  const sealed = sql.exec<{ n: number }>(`SELECT COALESCE(SUM(count), 0) AS n FROM blocks ${where}`, ...params).one().n;
  return head + sealed;
}
