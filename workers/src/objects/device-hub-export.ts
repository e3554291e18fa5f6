import type { ExportPosition, ExportRow } from '../../../schema/wire/history.ts';

/**
 * Export pages over a DeviceHub's raw samples, and deletion of one series' samples.
 * OWNER: export/devices helper (issue 5). Replace the bodies; keep the signatures.
 */

/** Up to `limit` rows in (series order given, ts) order, starting after `after`. */
export function exportPage(
  _sql: SqlStorage,
  _seriesIds: readonly string[],
  _from: number,
  _to: number,
  _after: ExportPosition | null,
  _limit: number,
): { rows: ExportRow[]; next: ExportPosition | null } {
  throw new Error('exportPage: not implemented yet');
}

/** Deletes one series' raw samples, its latest value and its pending rollup marks; returns samples deleted. */
export function deleteSeriesData(_sql: SqlStorage, _seriesId: string): number {
  throw new Error('deleteSeriesData: not implemented yet');
}
