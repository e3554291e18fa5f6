import type { Aggregation, RawStats, SeriesPoints } from '../../../schema/wire/history.ts';

/**
 * Reads over a DeviceHub's raw samples for the history and stats API.
 * OWNER: query-API helper (issue 5). Replace the bodies; keep the signatures.
 */

/** Points per series bucketed by `stepMs` (buckets start at multiples of the step since the epoch). */
export function aggregateRaw(
  _sql: SqlStorage,
  _seriesIds: readonly string[],
  _from: number,
  _to: number,
  _stepMs: number,
  _agg: Aggregation,
): SeriesPoints[] {
  throw new Error('aggregateRaw: not implemented yet');
}

/** Count, sum, min, max, last and nearest-rank p95 per series over [from, to). */
export function rawStats(_sql: SqlStorage, _seriesIds: readonly string[], _from: number, _to: number): RawStats[] {
  throw new Error('rawStats: not implemented yet');
}
