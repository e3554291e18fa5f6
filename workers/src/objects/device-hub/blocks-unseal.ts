import { DAY_MS, MINUTE_MS } from '../../time.ts';
import { readBlock, rewriteBlock } from './blocks.ts';

/**
 * Moves the sealed samples of the given (sid, minute) pairs back into the head, in the ingest
 * transaction that marks those minutes dirty: the flush computes a dirty minute's rollup from
 * the head alone (flush.ts `pendingRollups`), so a late or re-sent sample into a sealed range
 * must find the minute's other samples there. Head rows already present win (INSERT OR IGNORE);
 * the caller's insert then replaces the re-sent ones. One index probe per minute when nothing
 * is sealed there, the common case.
 */
export function unsealMinutes(sql: SqlStorage, minutes: readonly (readonly [number, number])[]): void {
  if (minutes.length === 0) return;
  const hits = sql
    .exec<{ id: number; sid: number; minute: number }>(
      `SELECT b.id AS id, b.sid AS sid, m.value ->> 1 AS minute FROM json_each(?) m JOIN blocks b
         ON b.sid = m.value ->> 0 AND b.first_ts < (m.value ->> 1) + ${MINUTE_MS}
        AND b.first_ts > (m.value ->> 1) - ${DAY_MS} AND b.last_ts >= m.value ->> 1`,
      JSON.stringify(minutes),
    )
    .toArray();
  const byBlock = new Map<number, { sid: number; minutes: Set<number> }>();
  for (const h of hits) {
    const entry = byBlock.get(h.id) ?? { sid: h.sid, minutes: new Set<number>() };
    entry.minutes.add(h.minute);
    byBlock.set(h.id, entry);
  }
  for (const [id, { sid, minutes: set }] of byBlock) {
    const block = readBlock(sql, id);
    const moved: [number, number, number][] = [];
    for (let i = 0; i < block.ts.length; i++) {
      const ts = block.ts[i]!;
      if (set.has(ts - (ts % MINUTE_MS))) moved.push([sid, ts, block.values[i]!]);
    }
    sql.exec(
      `INSERT OR IGNORE INTO samples (sid, ts, value) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)`,
      JSON.stringify(moved),
    );
    rewriteBlock(sql, sid, { id, ...block }, (ts) => !set.has(ts - (ts % MINUTE_MS)));
  }
}
