import type { RollupAggregates } from '../../../../schema/wire/history.ts';
import type { ExportSeries, ExportFormat } from './query.ts';

/** Aggregates of one rollup bucket, as exported. */
export interface RollupRow extends RollupAggregates {
  bucket: number;
}

/**
 * Turns rows into text lines. The columns naming the series are the same on every row of a
 * series, so they are encoded once per series and each row only appends its numbers.
 * Values are finite (ingest refuses NaN and Infinity), so `String(n)` is valid JSON and CSV.
 */
export interface ExportEncoder {
  /** Text before the first row: the CSV header, nothing for NDJSON. */
  header: string;
  raw(series: ExportSeries, ts: number, value: number): string;
  rollup(series: ExportSeries, row: RollupRow): string;
}

const RAW_COLUMNS = ['ts', 'value'] as const;
const ROLLUP_COLUMNS = ['ts', 'count', 'sum', 'min', 'max', 'last'] as const;
const SERIES_COLUMNS = ['seriesId', 'deviceId', 'metric', 'labels'] as const;

/** RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function prefixCache(make: (s: ExportSeries) => string): (s: ExportSeries) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let prefix = cache.get(s.id);
    if (prefix === undefined) cache.set(s.id, (prefix = make(s)));
    return prefix;
  };
}

function ndjsonEncoder(): ExportEncoder {
  // JSON.stringify of the leading fields, minus its closing brace, so rows only append numbers.
  const prefix = prefixCache((s) => {
    const head = JSON.stringify({ seriesId: s.id, deviceId: s.deviceId, metric: s.metric, labels: s.labels });
    return `${head.slice(0, -1)},"ts":`;
  });
  return {
    header: '',
    raw: (s, ts, value) => `${prefix(s)}${ts},"value":${value}}\n`,
    rollup: (s, r) =>
      `${prefix(s)}${r.bucket},"count":${r.count},"sum":${r.sum},"min":${r.min},"max":${r.max},"last":${r.last}}\n`,
  };
}

function csvEncoder(rollups: boolean): ExportEncoder {
  const prefix = prefixCache((s) =>
    [s.id, s.deviceId, s.metric, JSON.stringify(s.labels)].map(csvField).join(',').concat(','),
  );
  return {
    header: [...SERIES_COLUMNS, ...(rollups ? ROLLUP_COLUMNS : RAW_COLUMNS)].join(',') + '\r\n',
    raw: (s, ts, value) => `${prefix(s)}${ts},${value}\r\n`,
    rollup: (s, r) => `${prefix(s)}${r.bucket},${r.count},${r.sum},${r.min},${r.max},${r.last}\r\n`,
  };
}

export function exportEncoder(format: ExportFormat, rollups: boolean): ExportEncoder {
  return format === 'csv' ? csvEncoder(rollups) : ndjsonEncoder();
}
