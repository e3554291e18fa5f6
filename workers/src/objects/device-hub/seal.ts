import { DAY_MS } from '../../time.ts';
import { deleteBlock, insertBlocks, isFull, readBlock } from './blocks.ts';

/**
 * The alarm's seal step: moves head samples (`samples` rows) into compressed blocks. Only
 * samples older than SEAL_HORIZON_MS whose minute is not dirty are sealed, because the flush
 * computes a dirty minute's rollup from the head (flush.ts `pendingRollups`). An object that
 * holds row-per-sample data from before blocks existed is converted the same way, a chunk per
 * run. One synchronous step, so one implicit transaction: the blocks and the deletion of the
 * head rows they replace commit together, and a kill leaves either both or neither.
 */

/** Head samples younger than this stay rows: most late and re-sent data arrives within it. */
export const SEAL_HORIZON_MS = 120_000;
/** Samples sealed per alarm run, so one run (one implicit transaction) stays short. */
export const SEAL_CHUNK = 20_000;
/** Delay before the next run while a full chunk was sealed (a backlog, or a migrated object). */
const SEAL_AGAIN_MS = 1_000;

/** Seals up to SEAL_CHUNK samples; returns when the alarm should come back for more (Infinity: no need). */
export function sealRaw(sql: SqlStorage, now: number): number {
  const horizon = now - SEAL_HORIZON_MS;
  const rows = [
    ...sql
      .exec<{ sid: number; ts: number; value: number }>(
        `SELECT sid, ts, value FROM samples s
       WHERE ts < ? AND NOT EXISTS (SELECT 1 FROM dirty_minutes d WHERE d.sid = s.sid AND d.minute = s.ts - s.ts % 60000)
       ORDER BY sid, ts LIMIT ?`,
        horizon,
        SEAL_CHUNK,
      )
      .raw(),
  ] as [number, number, number][];
  let start = 0;
  while (start < rows.length) {
    const sid = rows[start]![0];
    let end = start;
    while (end < rows.length && rows[end]![0] === sid) end++;
    sealSeries(sql, sid, rows.slice(start, end), horizon);
    start = end;
  }
  return rows.length === SEAL_CHUNK ? now + SEAL_AGAIN_MS : Infinity;
}

/** Seals one series' selected head rows (ascending), then deletes them from the head. */
function sealSeries(sql: SqlStorage, sid: number, rows: [number, number, number][], horizon: number): void {
  mergeIntoBlocks(
    sql,
    sid,
    rows.map((r) => r[1]),
    rows.map((r) => r[2]),
  );
  // The same rows the selection took: the range of this series, not dirty, before the horizon.
  sql.exec(
    `DELETE FROM samples AS s WHERE sid = ? AND ts >= ? AND ts <= ? AND ts < ?
       AND NOT EXISTS (SELECT 1 FROM dirty_minutes d WHERE d.sid = s.sid AND d.minute = s.ts - s.ts % 60000)`,
    sid,
    rows[0]![1],
    rows.at(-1)![1],
    horizon,
  );
}

/**
 * Merges samples (ascending) into the series' blocks. The blocks whose span the samples reach
 * are decoded, merged in ts order and written again; usually that is only the series' last
 * block, while it is not full.
 */
function mergeIntoBlocks(sql: SqlStorage, sid: number, ts: number[], values: number[]): void {
  const minTs = ts[0]!;
  const maxTs = ts.at(-1)!;
  const blocks = sql
    .exec<{ id: number; first_ts: number; last_ts: number; count: number; bytes: number }>(
      // A block spans less than a day, so one starting a day before the samples ends before them.
      // length() of a blob reads its size from the row, not its overflow pages.
      `SELECT id, first_ts, last_ts, count, length(data) AS bytes FROM blocks
       WHERE sid = ? AND first_ts > ? AND first_ts <= ? ORDER BY first_ts`,
      sid,
      minTs - DAY_MS,
      maxTs,
    )
    .toArray();
  // The last block starting at or before each end; blocks between them are the ones reached.
  const lastAtOrBefore = (t: number) => blocks.findLastIndex((b) => b.first_ts <= t);
  let a = Math.max(0, lastAtOrBefore(minTs));
  const z = Math.max(a, lastAtOrBefore(maxTs));
  // A full block is left alone when the samples only come after it (or only before the first block).
  if (a === z && blocks[a] && isFull(blocks[a]!)) {
    if (minTs > blocks[a]!.last_ts || maxTs < blocks[a]!.first_ts) a = z + 1;
  }
  const reached = blocks.slice(a, z + 1);
  // Blocks after the last one reached start after maxTs: the merged run is the newest without them.
  const newest =
    sql.exec('SELECT 1 FROM blocks WHERE sid = ? AND first_ts > ? LIMIT 1', sid, maxTs).toArray().length === 0;
  if (reached.length === 0) {
    insertBlocks(sql, sid, { ts, values }, newest);
    return;
  }
  const merged = { ts: [] as number[], values: [] as number[] };
  let i = 0;
  for (const b of reached) {
    const block = readBlock(sql, b.id);
    for (let j = 0; j < block.ts.length; j++) {
      const t = block.ts[j]!;
      while (i < ts.length && ts[i]! < t) push(merged, ts[i]!, values[i++]!);
      push(merged, t, block.values[j]!);
    }
    deleteBlock(sql, b.id);
  }
  while (i < ts.length) push(merged, ts[i]!, values[i++]!);
  insertBlocks(sql, sid, merged, newest);
}

function push(into: { ts: number[]; values: number[] }, ts: number, value: number): void {
  into.ts.push(ts);
  into.values.push(value);
}
