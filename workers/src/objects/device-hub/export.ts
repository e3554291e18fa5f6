import type { ExportPosition } from '../../../../schema/wire/history.ts';
import { countRaw, readRawColumns } from './raw-read.ts';
import { sidOf } from './store.ts';

/**
 * Consecutive raw samples of one series in an export page, as columns: typed arrays cross
 * the RPC as one buffer copy each, where an object per row would be cloned one by one.
 */
export interface ExportBlock {
  seriesId: string;
  ts: Float64Array;
  values: Float64Array;
}

/** One page of an export: blocks in (order given, ts) order. */
export interface ExportPage {
  blocks: ExportBlock[];
  next: ExportPosition | null;
}

/**
 * Up to `limit` raw rows of `seriesIds` within [from, to), in (order given, ts) order,
 * starting after `after`. `next` is the last row's position when the page is full (there may
 * be more), and null once the export is complete. Series this object never saw are skipped.
 */
export function exportPage(
  sql: SqlStorage,
  seriesIds: readonly string[],
  from: number,
  to: number,
  after: ExportPosition | null,
  limit: number,
): ExportPage {
  const blocks: ExportBlock[] = [];
  const start = after ? seriesIds.indexOf(after.seriesId) : 0;
  // A position naming a series outside the list cannot continue anything: the export is over.
  if (start < 0) return { blocks, next: null };
  let rows = 0;
  for (let i = start; i < seriesIds.length && rows < limit; i++) {
    const seriesId = seriesIds[i]!;
    // Within the series the page resumes after; every later series starts at `from`.
    const fromTs = after && i === start ? Math.max(from, after.ts + 1) : from;
    const sid = sidOf(sql, seriesId);
    if (sid === undefined) continue;
    const { ts, values } = readRawColumns(sql, sid, fromTs, to, limit - rows);
    if (ts.length === 0) continue;
    blocks.push({ seriesId, ts, values });
    rows += ts.length;
  }
  const last = blocks.at(-1);
  const next = rows === limit && last ? { seriesId: last.seriesId, ts: last.ts[last.ts.length - 1]! } : null;
  return { blocks, next };
}

/** Deletes one series' raw samples (head and blocks), its latest value and its pending rollup marks; returns samples deleted. */
export function deleteSeriesData(sql: SqlStorage, seriesId: string): number {
  const sid = sidOf(sql, seriesId);
  if (sid === undefined) return 0;
  const deleted = countRaw(sql, sid);
  sql.exec('DELETE FROM samples WHERE sid = ?', sid);
  sql.exec('DELETE FROM blocks WHERE sid = ?', sid);
  sql.exec('DELETE FROM dirty_minutes WHERE sid = ?', sid);
  // The registry row goes too, so a sample arriving later registers the series in D1 again.
  sql.exec('DELETE FROM series WHERE sid = ?', sid);
  return deleted;
}
