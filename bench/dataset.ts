/**
 * Bulk data sets for the read benchmarks (query, storage, export): N devices × M series of one
 * gauge at a fixed interval. Every value is a pure function of (device, series, index), so
 * Edgewatch and VictoriaMetrics receive the same samples and the read side can check values.
 */
import type { Sample } from './series.ts';

export interface Dataset {
  /** Device names are `<name>-<d>`; VictoriaMetrics gets the name as the `agent` label. */
  name: string;
  devices: number;
  seriesPerDevice: number;
  /** Timestamp of every series' first sample, epoch ms. */
  start: number;
  intervalMs: number;
  /** Samples per series. */
  points: number;
}

export const METRIC = 'bench_gauge';

export const totalSamples = (d: Dataset) => d.devices * d.seriesPerDevice * d.points;
/** End of the data, exclusive: one interval after the last sample. */
export const endOf = (d: Dataset) => d.start + d.points * d.intervalMs;
export const deviceName = (d: Dataset, device: number) => `${d.name}-${device}`;
/** A series' own label: it keeps series distinct in VictoriaMetrics, whose functions drop the name. */
export const seriesLabels = (k: number) => ({ idx: String(k) });
/** Same key on both sides: Edgewatch series are matched by device, VictoriaMetrics series by `agent`. */
export const seriesKey = (device: number, labels: Record<string, string | undefined>) => `${device}/${labels.idx}`;

/** Deterministic integer hash in [0, 1): noise that compresses like real sensor jitter, not like a constant. */
function jitter(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** A slowly wandering gauge with two decimals, as agents report temperatures or percentages. */
export function valueAt(d: Dataset, device: number, k: number, i: number): number {
  const s = device * d.seriesPerDevice + k;
  return Math.round((50 + 30 * Math.sin(i / 360 + s) + 10 * jitter(s, i)) * 100) / 100;
}

/** One device's samples in batches of at most `maxSamples`, oldest first, all series per timestamp. */
export function* deviceBatches(d: Dataset, device: number, maxSamples: number): Generator<Sample[]> {
  const perBatch = Math.max(1, Math.floor(maxSamples / d.seriesPerDevice));
  for (let first = 0; first < d.points; first += perBatch) {
    const batch: Sample[] = [];
    for (let i = first; i < Math.min(first + perBatch, d.points); i++) {
      const ts = d.start + i * d.intervalMs;
      for (let k = 0; k < d.seriesPerDevice; k++)
        batch.push({ metric: METRIC, ts, value: valueAt(d, device, k, i), labels: seriesLabels(k) });
    }
    yield batch;
  }
}
