import { readBlock, rewriteBlock, deleteBlock } from './blocks.ts';

/**
 * Retention over one series' blocks: drops whole blocks that end before `before`, and trims
 * the boundary block (re-encoded without its expired samples). Deletes at most `budget`
 * samples, oldest first, so a sweep run stays bounded like the head's; returns how many.
 */
export function sweepBlocks(sql: SqlStorage, sid: number, before: number, budget: number): number {
  let left = budget;
  const expired = sql
    .exec<{ id: number; last_ts: number; count: number }>(
      'SELECT id, last_ts, count FROM blocks WHERE sid = ? AND first_ts < ? ORDER BY first_ts LIMIT ?',
      sid,
      before,
      budget,
    )
    .toArray();
  for (const b of expired) {
    if (left === 0) break;
    if (b.last_ts < before && b.count <= left) {
      deleteBlock(sql, b.id);
      left -= b.count;
      continue;
    }
    const block = readBlock(sql, b.id);
    // The oldest `left` expired samples: a budget cut trims this block no further than a run may delete.
    let cut = 0;
    while (cut < block.ts.length && block.ts[cut]! < before && cut < left) cut++;
    const bound = block.ts[cut] ?? Infinity;
    left -= rewriteBlock(sql, sid, { id: b.id, ...block }, (ts) => ts >= bound);
  }
  return budget - left;
}
