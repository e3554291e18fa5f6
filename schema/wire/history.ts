/** Wire types of the history, stats and export API (shared by the Worker, clients and benchmarks). */

export const aggregations = ['mean', 'min', 'max', 'sum', 'count', 'last'] as const;
export type Aggregation = (typeof aggregations)[number];

/** Where points come from: raw samples in the device's Durable Object, or a D1 rollup. */
export const historySources = ['raw', '1m', '1h', '1d'] as const;
export type HistorySource = (typeof historySources)[number];

/** Width of each rollup source's bucket, in ms. */
export const SOURCE_RESOLUTION_MS: Record<Exclude<HistorySource, 'raw'>, number> = {
  '1m': 60_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

export interface Point {
  ts: number;
  value: number;
}

export interface SeriesPoints {
  seriesId: string;
  points: Point[];
}

/** Absolute aggregates of one series over a range, from raw samples. */
export interface RawStats {
  seriesId: string;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  last: number | null;
  lastTs: number | null;
  /** Nearest-rank 95th percentile. */
  p95: number | null;
}

/** One raw sample of an export page. */
export interface ExportRow {
  seriesId: string;
  ts: number;
  value: number;
}

/** Where an export page ends: the next page starts after (series, ts). */
export interface ExportPosition {
  seriesId: string;
  ts: number;
}

/** What every rollup level keeps per bucket. */
export interface RollupAggregates {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}
