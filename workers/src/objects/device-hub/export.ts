import type { ExportPosition, ExportRow } from '../../../../schema/wire/history.ts';
import { countRaw, readRaw } from './raw-read.ts';
import { sidOf } from './store.ts';

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
): { rows: ExportRow[]; next: ExportPosition | null } {
  const rows: ExportRow[] = [];
  const start = after ? seriesIds.indexOf(after.seriesId) : 0;
  // A position naming a series outside the list cannot continue anything: the export is over.
  if (start < 0) return { rows, next: null };
  for (let i = start; i < seriesIds.length && rows.length < limit; i++) {
    const seriesId = seriesIds[i]!;
    // Within the series the page resumes after; every later series starts at `from`.
    const fromTs = after && i === start ? Math.max(from, after.ts + 1) : from;
    const sid = sidOf(sql, seriesId);
    const page = sid === undefined ? [] : readRaw(sql, sid, fromTs, to, limit - rows.length);
    for (const p of page) rows.push({ seriesId, ts: p.ts, value: p.value });
  }
  const last = rows.at(-1);
  return { rows, next: rows.length === limit && last ? { seriesId: last.seriesId, ts: last.ts } : null };
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
