import { decodeBlock, encodeBlock } from '../../services/storage/codec/index.ts';
import { RawAggregate } from './raw-aggregate.ts';

/**
 * Sealed raw samples: one row per block of one series, the samples compressed by the storage
 * codec, with a summary (count, min, max, sum, last) that answers whole-block aggregates
 * without decoding. Blocks of one series never overlap in time. Recent samples stay in the
 * `samples` table (the head) until the alarm seals them (seal.ts).
 */

export const DAY_MS = 86_400_000;
/**
 * A block closes at this many samples or at the end of its UTC day, whichever comes first.
 * 4,096 samples keeps the decode-append-encode of a growing block and the decode for a read
 * that needs a few points of it small (about 6 KB of block for the bench gauge), while the codec
 * gains little from longer runs (1.53 B/sample at 1,000, 1.51 at 4,000: codec/index.ts). One UTC day per block bounds a block's span, so a range read finds its blocks with
 * one index range (first_ts within a day before `from`), and retention drops whole days.
 */
export const BLOCK_MAX_SAMPLES = 4_096;

export function createBlockTable(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS blocks (
      id INTEGER PRIMARY KEY,
      sid INTEGER NOT NULL,
      first_ts INTEGER NOT NULL,
      last_ts INTEGER NOT NULL,
      count INTEGER NOT NULL,
      min REAL NOT NULL,
      max REAL NOT NULL,
      sum REAL NOT NULL,
      last REAL NOT NULL,
      data BLOB NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS blocks_sid_first_idx ON blocks (sid, first_ts);
  `);
}

/** A block's row without its data. */
export interface BlockMeta {
  id: number;
  firstTs: number;
  lastTs: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  last: number;
}

/** Samples of one series, ascending by ts, no ts twice. */
export interface Points {
  ts: ArrayLike<number>;
  values: ArrayLike<number>;
}

const META_COLUMNS = 'id, first_ts AS firstTs, last_ts AS lastTs, count, min, max, sum, last';

/** Blocks of `sid` holding samples that may lie in [from, to), ascending. */
export function blocksIn(sql: SqlStorage, sid: number, from: number, to: number): BlockMeta[] {
  return sql
    .exec<BlockMeta & Record<string, number>>(
      // first_ts > from - DAY_MS: a block spans less than a day, so the index range stays short.
      `SELECT ${META_COLUMNS} FROM blocks
       WHERE sid = ? AND first_ts < ? AND first_ts > ? AND last_ts >= ? ORDER BY first_ts`,
      sid,
      to,
      from - DAY_MS,
      from,
    )
    .toArray();
}

/** The block of `sid` with the greatest first_ts below `before`, if any. */
export function blockBefore(sql: SqlStorage, sid: number, before: number): BlockMeta | undefined {
  return sql
    .exec<BlockMeta & Record<string, number>>(
      `SELECT ${META_COLUMNS} FROM blocks WHERE sid = ? AND first_ts < ? ORDER BY first_ts DESC LIMIT 1`,
      sid,
      before,
    )
    .toArray()[0];
}

export function readBlock(sql: SqlStorage, id: number): { ts: Float64Array; values: Float64Array } {
  const data = sql.exec<{ data: ArrayBuffer }>('SELECT data FROM blocks WHERE id = ?', id).one().data;
  const decoded = decodeBlock(new Uint8Array(data));
  return { ts: decoded.ts, values: decoded.columns[0]! };
}

/**
 * Stores `points` (ascending, non-empty) as one block of `sid` with its summary. The sum is
 * SQLite's compensated one, so it equals the row-era SUM.
 */
export function insertBlock(sql: SqlStorage, sid: number, points: Points): void {
  const n = points.ts.length;
  const summary = new RawAggregate();
  for (let i = 0; i < n; i++) summary.add(points.values[i]!);
  const bytes = encodeBlock(points.ts, [points.values]);
  sql.exec(
    `INSERT INTO blocks (sid, first_ts, last_ts, count, min, max, sum, last, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    sid,
    points.ts[0]!,
    points.ts[n - 1]!,
    n,
    summary.min,
    summary.max,
    summary.sum.value,
    summary.last,
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
}

/** Stores `points` (ascending) as blocks of at most BLOCK_MAX_SAMPLES, all within one UTC day. */
export function insertBlocks(sql: SqlStorage, sid: number, points: Points): void {
  const n = points.ts.length;
  for (let start = 0; start < n; start += BLOCK_MAX_SAMPLES) {
    const end = Math.min(n, start + BLOCK_MAX_SAMPLES);
    insertBlock(sql, sid, { ts: slice(points.ts, start, end), values: slice(points.values, start, end) });
  }
}

export function deleteBlock(sql: SqlStorage, id: number): void {
  sql.exec('DELETE FROM blocks WHERE id = ?', id);
}

/** Replaces a block with the samples of it that `keep` accepts (dropping the block if none). */
export function rewriteBlock(
  sql: SqlStorage,
  sid: number,
  block: { id: number; ts: Float64Array; values: Float64Array },
  keep: (ts: number) => boolean,
): number {
  const ts: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < block.ts.length; i++) {
    if (!keep(block.ts[i]!)) continue;
    ts.push(block.ts[i]!);
    values.push(block.values[i]!);
  }
  deleteBlock(sql, block.id);
  if (ts.length > 0) insertBlock(sql, sid, { ts, values });
  return block.ts.length - ts.length;
}

function slice(a: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  return Array.isArray(a) || ArrayBuffer.isView(a)
    ? (a as number[] | Float64Array).slice(start, end)
    : Array.from({ length: end - start }, (_, i) => a[start + i]!);
}
