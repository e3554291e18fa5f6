import type { RollupAggregates } from '../../../../schema/wire/history.ts';
import type { ExportSeries, ExportFormat, ExportRows } from './query.ts';

/** Aggregates of one rollup bucket, as exported. */
export interface RollupRow extends RollupAggregates {
  bucket: number;
}

/**
 * Turns rows into text lines, a run of one series' rows at a time, so no object is built
 * per row. Values are finite (ingest refuses NaN and Infinity), so `String(n)` is valid JSON
 * and CSV.
 */
export interface ExportEncoder {
  /** Text before the first row: the CSV header, nothing for NDJSON. */
  header: string;
  /** Lines of consecutive raw samples of one series: `ts[i]` with `values[i]`. */
  raw(series: ExportSeries, ts: ArrayLike<number>, values: ArrayLike<number>): string;
  /** Lines of consecutive rollup buckets of one series. */
  rollup(series: ExportSeries, rows: readonly RollupRow[]): string;
}

const RAW_COLUMNS = ['ts', 'value'] as const;
const ROLLUP_COLUMNS = ['ts', 'count', 'sum', 'min', 'max', 'last'] as const;
const SERIES_COLUMNS = ['seriesId', 'deviceId', 'metric', 'labels'] as const;

/** RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The JSON object naming a series: the leading fields of a full row, or a compact header line. */
const seriesJson = (s: ExportSeries) =>
  JSON.stringify({ seriesId: s.id, deviceId: s.deviceId, metric: s.metric, labels: s.labels });

function prefixCache(make: (s: ExportSeries) => string): (s: ExportSeries) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let prefix = cache.get(s.id);
    if (prefix === undefined) cache.set(s.id, (prefix = make(s)));
    return prefix;
  };
}

/**
 * An encoder from its line shapes. `start` is written once per run of a series' rows (the
 * compact form's header line), `prefix` before every line: the columns naming a series are the
 * same on every row, so they are encoded once per series and each line only appends numbers.
 */
function linesEncoder(o: {
  header: string;
  start?: (s: ExportSeries) => string;
  prefix?: (s: ExportSeries) => string;
  raw: (p: string, ts: number, value: number) => string;
  rollup: (p: string, r: RollupRow) => string;
}): ExportEncoder {
  return {
    header: o.header,
    raw(s, ts, values) {
      const p = o.prefix?.(s) ?? '';
      let out = o.start?.(s) ?? '';
      for (let i = 0; i < ts.length; i++) out += o.raw(p, ts[i]!, values[i]!);
      return out;
    },
    rollup(s, rows) {
      const p = o.prefix?.(s) ?? '';
      let out = o.start?.(s) ?? '';
      for (const r of rows) out += o.rollup(p, r);
      return out;
    },
  };
}

function ndjsonEncoder(): ExportEncoder {
  return linesEncoder({
    header: '',
    // The series object minus its closing brace.
    prefix: prefixCache((s) => `${seriesJson(s).slice(0, -1)},"ts":`),
    raw: (p, ts, value) => `${p}${ts},"value":${value}}\n`,
    rollup: (p, r) =>
      `${p}${r.bucket},"count":${r.count},"sum":${r.sum},"min":${r.min},"max":${r.max},"last":${r.last}}\n`,
  });
}

/**
 * `rows=compact`: a series' header object (`seriesId`, `deviceId`, `metric`, `labels`) on a
 * line of its own, then its rows as arrays, `[ts,value]` or `[ts,count,sum,min,max,last]`,
 * until the next header. Each series has one header, however many pages its rows span.
 */
function compactEncoder(): ExportEncoder {
  let current: string | undefined;
  return linesEncoder({
    header: '',
    start(s) {
      if (current === s.id) return '';
      current = s.id;
      return `${seriesJson(s)}\n`;
    },
    raw: (_, ts, value) => `[${ts},${value}]\n`,
    rollup: (_, r) => `[${r.bucket},${r.count},${r.sum},${r.min},${r.max},${r.last}]\n`,
  });
}

function csvEncoder(rollups: boolean): ExportEncoder {
  return linesEncoder({
    header: [...SERIES_COLUMNS, ...(rollups ? ROLLUP_COLUMNS : RAW_COLUMNS)].join(',') + '\r\n',
    prefix: prefixCache((s) =>
      [s.id, s.deviceId, s.metric, JSON.stringify(s.labels)].map(csvField).join(',').concat(','),
    ),
    raw: (p, ts, value) => `${p}${ts},${value}\r\n`,
    rollup: (p, r) => `${p}${r.bucket},${r.count},${r.sum},${r.min},${r.max},${r.last}\r\n`,
  });
}

/** The encoder of one export request: encoders keep per-request state (caches, the current series). */
export function exportEncoder(format: ExportFormat, rollups: boolean, rows: ExportRows = 'full'): ExportEncoder {
  if (format === 'csv') return csvEncoder(rollups);
  return rows === 'compact' ? compactEncoder() : ndjsonEncoder();
}
