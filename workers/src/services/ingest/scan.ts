import { agentInfo } from '../../../../schema/wire/ingest.ts';
import type { CompactBatch, CompactSeries } from './compact.ts';
import { seriesKey } from './series-key.ts';

/**
 * One pass over a parsed ingest body that checks the hot shape and builds the compact batch,
 * each series' key computed once per distinct label set. It implements the rules of the zod
 * schemas in schema/wire/ingest.ts, which stay the documented contract: on anything it does not
 * accept it returns `undefined`, and the caller runs zod to name the problem, so error codes,
 * messages and fields are zod's own. It must never accept what zod refuses.
 */

const METRIC = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
const LABEL_NAME = /^(?:[a-zA-Z][a-zA-Z0-9_]{0,63}|_[a-zA-Z0-9][a-zA-Z0-9_]{0,62}|_)$/;
const BATCH_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const MAX_LABELS = 16;
const MAX_LABEL_VALUE = 256;
const MIN_TS = 946_684_800_000;
const MAX_TS = 32_503_680_000_000;

/** What the scan found: the batch, or the first point in the future, or the first repeated point. */
export interface Scanned {
  batch: CompactBatch;
  /** Index of the first point whose ts is past the limit. */
  future?: number;
  /** The first point repeating an earlier point's series and ts. */
  repeated?: { index: number; first: number };
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const validTs = (ts: unknown): ts is number =>
  typeof ts === 'number' && Number.isInteger(ts) && ts >= MIN_TS && ts <= MAX_TS;
const validValue = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Builds the batch's series table while points arrive, deduplicating label sets cheaply. */
class SeriesTable {
  readonly series: CompactSeries[] = [];
  /** Raw (unsorted, length-prefixed, so unambiguous) label encoding → series index. */
  private readonly byRaw = new Map<string, number>();
  private readonly byKey = new Map<string, number>();
  /** Per series, ts → point index: a repeated (series, ts) refuses the batch. */
  private readonly seen: Map<number, number>[] = [];

  /** The series index of `metric` and `labels`, or -1 when they break a rule. */
  index(metric: unknown, labels: unknown, field: string): number {
    if (typeof metric !== 'string') return -1;
    let raw = `${metric.length}:${metric}`;
    if (labels !== undefined) {
      if (!isObject(labels)) return -1;
      for (const name in labels) {
        const v = labels[name];
        if (typeof v !== 'string') return -1;
        raw += `|${name.length}:${name}${v.length}:${v}`;
      }
    }
    const hit = this.byRaw.get(raw);
    if (hit !== undefined) return hit;
    if (!METRIC.test(metric)) return -1;
    let named: Record<string, string> | undefined;
    if (labels !== undefined) {
      const names = Object.keys(labels as Obj);
      if (names.length > MAX_LABELS) return -1;
      for (const name of names) {
        if (!LABEL_NAME.test(name) || (labels as Record<string, string>)[name]!.length > MAX_LABEL_VALUE) return -1;
      }
      if (names.length > 0) named = labels as Record<string, string>;
    }
    const key = seriesKey(metric, named);
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.series.length;
      this.series.push({ metric, ...(named ? { labels: { ...named } } : {}), key, field });
      this.seen.push(new Map());
      this.byKey.set(key, index);
    }
    this.byRaw.set(raw, index);
    return index;
  }

  /** The earlier point of this series at `ts`, if any; records this one otherwise. */
  repeat(series: number, ts: number, point: number): number | undefined {
    const seen = this.seen[series]!;
    const first = seen.get(ts);
    if (first === undefined) seen.set(ts, point);
    return first;
  }
}

/** Checks the batch-level keys shared by both forms. */
function header(raw: Obj, list: 'samples' | 'series'): { batchId: string; agent?: CompactBatch['agent'] } | undefined {
  for (const k in raw) if (k !== 'batchId' && k !== list && k !== 'agent') return undefined;
  const { batchId, agent } = raw;
  if (typeof batchId !== 'string' || !BATCH_ID.test(batchId)) return undefined;
  if (agent === undefined) return { batchId };
  const parsed = agentInfo.safeParse(agent);
  return parsed.success ? { batchId, agent: parsed.data } : undefined;
}

/** The batch's points as columns, filled in order, noting the first future and the first repeated point. */
class PointSink {
  readonly seriesIndex: Uint32Array;
  readonly ts: Float64Array;
  readonly values: Float64Array;
  future: number | undefined;
  repeated: Scanned['repeated'];
  private n = 0;
  private readonly table: SeriesTable;
  private readonly futureLimit: number;

  constructor(size: number, table: SeriesTable, futureLimit: number) {
    this.seriesIndex = new Uint32Array(size);
    this.ts = new Float64Array(size);
    this.values = new Float64Array(size);
    this.table = table;
    this.futureLimit = futureLimit;
  }

  add(series: number, ts: number, value: number): void {
    const i = this.n++;
    this.seriesIndex[i] = series;
    this.ts[i] = ts;
    this.values[i] = value;
    if (this.future === undefined && ts > this.futureLimit) this.future = i;
    if (this.repeated === undefined) {
      const first = this.table.repeat(series, ts, i);
      if (first !== undefined) this.repeated = { index: i, first };
    }
  }

  scanned(head: { batchId: string; agent?: CompactBatch['agent'] }): Scanned {
    const { seriesIndex, ts, values, future, repeated } = this;
    return { batch: { ...head, series: this.table.series, seriesIndex, ts, values }, future, repeated };
  }
}

/** Scans the flat form, `{batchId, samples: [{metric, ts, value, labels?}], agent?}`. */
export function scanFlat(raw: unknown, futureLimit: number): Scanned | undefined {
  if (!isObject(raw)) return undefined;
  const head = header(raw, 'samples');
  const samples = raw.samples;
  if (!head || !Array.isArray(samples) || samples.length === 0) return undefined;
  const table = new SeriesTable();
  const sink = new PointSink(samples.length, table, futureLimit);
  for (let i = 0; i < samples.length; i++) {
    const s: unknown = samples[i];
    if (!isObject(s)) return undefined;
    for (const k in s) if (k !== 'metric' && k !== 'ts' && k !== 'value' && k !== 'labels') return undefined;
    const { ts, value } = s;
    if (!validTs(ts) || !validValue(value)) return undefined;
    const series = table.index(s.metric, s.labels, `samples.${i}`);
    if (series < 0) return undefined;
    sink.add(series, ts, value);
  }
  return sink.scanned(head);
}

/** Points in the grouped form: entries that are not arrays count nothing (the schema refuses them). */
export function countPoints(series: unknown[]): number {
  let n = 0;
  for (const e of series) if (isObject(e) && Array.isArray(e.points)) n += e.points.length;
  return n;
}

/** Scans the grouped form, `{batchId, series: [{metric, labels?, points: [[ts, value]]}], agent?}`. */
export function scanGrouped(raw: unknown, futureLimit: number): Scanned | undefined {
  if (!isObject(raw)) return undefined;
  const head = header(raw, 'series');
  const entries = raw.series;
  if (!head || !Array.isArray(entries) || entries.length === 0) return undefined;
  const table = new SeriesTable();
  const sink = new PointSink(countPoints(entries), table, futureLimit);
  for (let k = 0; k < entries.length; k++) {
    const e: unknown = entries[k];
    if (!isObject(e)) return undefined;
    for (const key in e) if (key !== 'metric' && key !== 'labels' && key !== 'points') return undefined;
    const points = e.points;
    if (!Array.isArray(points) || points.length === 0) return undefined;
    const series = table.index(e.metric, e.labels, `series.${k}`);
    if (series < 0) return undefined;
    for (const p of points) {
      if (!Array.isArray(p) || p.length !== 2) return undefined;
      const ts: unknown = p[0];
      const value: unknown = p[1];
      if (!validTs(ts) || !validValue(value)) return undefined;
      sink.add(series, ts, value);
    }
  }
  return sink.scanned(head);
}

/** The body field of point `index` of a grouped body: `series.<k>.points.<j>`. */
export function groupedPointField(entries: unknown[], index: number): string {
  let start = 0;
  for (let k = 0; k < entries.length; k++) {
    const len = (entries[k] as { points: unknown[] }).points.length;
    if (index < start + len) return `series.${k}.points.${index - start}`;
    start += len;
  }
  return 'series';
}
