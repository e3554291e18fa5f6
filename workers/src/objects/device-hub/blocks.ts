import { decodeBlock, encodeBlock } from '../../services/storage/codec/index.ts';
import { RawAggregate } from './raw-aggregate.ts';
import { DAY_MS } from '../../time.ts';

/**
 * Sealed raw samples: one row per block of one series, the samples compressed by the storage
 * codec, with a summary (count, min, max, sum, last) that answers whole-block aggregates
 * without decoding. Blocks of one series never overlap in time. Recent samples stay in the
 * `samples` table (the head) until the alarm seals them (seal.ts).
 */

/**
 * A block closes at BLOCK_MAX_SAMPLES samples, at BLOCK_MAX_BYTES of encoding, or before it
 * would span a day, whichever comes first. The sample bound keeps the decode-append-encode of a
 * growing block and the decode for a read that needs a few points of it small, while the codec
 * gains little from longer runs (1.53 B/sample at 1,000, 1.51 at 4,000: codec/index.ts). The
 * span bound lets a range read find its blocks with one index range (first_ts within a day
 * before `from`). Blocks are not cut at UTC midnight: that left two partial blocks a day per
 * series, each wasting the rest of its page.
 */
export const BLOCK_MAX_SAMPLES = 4_096;
/**
 * The byte bound fits blocks to SQLite's pages (4 KiB in Durable Objects): two rows of at most
 * this much data (plus about 70 bytes of summary, record header and cell pointer each) fill a
 * leaf page, and any two rows share one, so a series' partly filled open block packs with
 * others. Measured on a storage-bench device (10 series, 12 h at 10 s, 2026-12-03) with dbstat:
 * 4,096-sample blocks cut at UTC midnight took 21 pages, a 4,600-byte bound (one full overflow
 * page a block) 24, because its open blocks of about 2.2 KB could not share a page; this bound
 * 17 pages, each leaf 97-99 % full. Steady state costs a little (100,000 sealed samples:
 * databaseSize grows 1.72 B a sample against 1.64 with 4,600: one summary per 1,300 samples
 * instead of 3,000).
 */
export const BLOCK_MAX_BYTES = 1_960;
/** A block this close to the byte bound is full: samples after it start a new block, and it is not rewritten. */
const BLOCK_FULL_BYTES = BLOCK_MAX_BYTES - BLOCK_MAX_BYTES / 8;

/** Whether a stored block takes no more samples at its end (`bytes`: length of its data). */
export const isFull = (b: { count: number; bytes: number }) =>
  b.count >= BLOCK_MAX_SAMPLES || b.bytes >= BLOCK_FULL_BYTES;

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

/** Moves blocks numbered before open blocks had their own ids (1 up, where open ids now are) above SEALED_ID_BASE. */
export function renumberOldBlocks(sql: SqlStorage): void {
  sql.exec('UPDATE blocks SET id = id + ? WHERE id <= ?', SEALED_ID_BASE, SEALED_ID_BASE);
}

/**
 * Block ids place blocks in the table's B-tree. A series' open block (its newest block, while
 * not full) has the series' own id, `sid`: the open blocks of all series sit together at the
 * left end, and each seal run rewrites them in place, where SQLite shares rows out over a page
 * and its siblings as they grow. Every other block has an id above SEALED_ID_BASE, in the order
 * written: full blocks are appended at the right end and never move. With ids in write order
 * only, each rewrite of an open block moved it to the right end, leaving a hole behind, and a
 * row that did not fit the last page started a new one there.
 */
const SEALED_ID_BASE = 2 ** 40;

/** The id of a block about to be written sealed: past every id, and above SEALED_ID_BASE. */
const NEXT_SEALED_ID = `(MAX(${SEALED_ID_BASE}, COALESCE((SELECT MAX(id) FROM blocks), 0)) + 1)`;

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
export function insertBlock(
  sql: SqlStorage,
  sid: number,
  points: Points,
  /** The block's id; null for a new sealed id. */
  id: number | null,
  bytes = encodeBlock(points.ts, [points.values]),
): void {
  const n = points.ts.length;
  const summary = new RawAggregate();
  for (let i = 0; i < n; i++) summary.add(points.values[i]!);
  sql.exec(
    `INSERT INTO blocks (id, sid, first_ts, last_ts, count, min, max, sum, last, data)
     VALUES (COALESCE(?, ${NEXT_SEALED_ID}), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    id,
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

/**
 * Stores `points` (ascending) as blocks, each as long as the bounds allow. A run over the byte
 * bound is cut in proportion to its bytes and encoded again: bytes per sample vary little along
 * a series, so one cut usually fits.
 *
 * `newest`: no block of the series comes after these points, so the last block written is the
 * series' open block unless it is full.
 */
export function insertBlocks(sql: SqlStorage, sid: number, points: Points, newest: boolean): void {
  const n = points.ts.length;
  for (let start = 0; start < n;) {
    let end = Math.min(n, start + BLOCK_MAX_SAMPLES);
    while (points.ts[end - 1]! - points.ts[start]! >= DAY_MS) end--;
    let run = sliceOf(points, start, end);
    let bytes = encodeBlock(run.ts, [run.values]);
    while (bytes.byteLength > BLOCK_MAX_BYTES && end - start > 1) {
      end = start + Math.max(1, Math.floor(((end - start) * BLOCK_MAX_BYTES) / bytes.byteLength));
      run = sliceOf(points, start, end);
      bytes = encodeBlock(run.ts, [run.values]);
    }
    const open = newest && end === n && !isFull({ count: end - start, bytes: bytes.byteLength });
    // A block still holding the open id (one a day or more older, not reached by these points) is open no longer.
    if (open) sql.exec(`UPDATE blocks SET id = ${NEXT_SEALED_ID} WHERE id = ?`, sid);
    insertBlock(sql, sid, run, open ? sid : null, bytes);
    start = end;
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
  // The same id: an open block stays open, a sealed one keeps its place.
  if (ts.length > 0) insertBlock(sql, sid, { ts, values }, block.id);
  return block.ts.length - ts.length;
}

const sliceOf = (p: Points, start: number, end: number): Points => ({
  ts: slice(p.ts, start, end),
  values: slice(p.values, start, end),
});

function slice(a: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  return Array.isArray(a) || ArrayBuffer.isView(a)
    ? (a as number[] | Float64Array).slice(start, end)
    : Array.from({ length: end - start }, (_, i) => a[start + i]!);
}
