import type { StreamSample } from '../../../../schema/wire/stream.ts';

/** The fields the samples of one series share. */
export type SeriesHead = Omit<StreamSample, 'ts' | 'value'>;

/**
 * Published samples as a DeviceHub hands them over: each series once, the points as columns.
 * Across the RPC the columns are three buffers instead of a thousand objects, and the hub
 * only builds sample objects when a connection is there to receive them. With the samples as
 * objects, publishing cost the ingest bench about 30 % of its rate (52,773 samples/s against
 * 74,260 with no publish at all); packed, 60,007 (docs/performance.md).
 */
export interface PackedSamples {
  series: SeriesHead[];
  /** Per sample, its series' index in `series`. */
  index: ArrayLike<number>;
  ts: ArrayLike<number>;
  values: ArrayLike<number>;
}

const countSamples = (parts: readonly PackedSamples[]) => parts.reduce((n, p) => n + p.ts.length, 0);

/** The samples of the parts in order, as the stream protocol sends them. */
export function unpackSamples(parts: readonly PackedSamples[]): StreamSample[] {
  const out = new Array<StreamSample>(countSamples(parts));
  let o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.ts.length; i++) {
      const h = p.series[p.index[i]!]!;
      out[o++] = {
        subject: h.subject,
        seriesId: h.seriesId,
        deviceId: h.deviceId,
        metric: h.metric,
        labels: h.labels,
        ts: p.ts[i]!,
        value: p.values[i]!,
      };
    }
  }
  return out;
}

/** Samples as one part with a series entry each (frames stored before packing). */
export function packEach(samples: readonly StreamSample[]): PackedSamples {
  return {
    series: samples.map(({ ts: _ts, value: _value, ...head }) => head),
    index: samples.map((_, i) => i),
    ts: samples.map((s) => s.ts),
    values: samples.map((s) => s.value),
  };
}

/** JSON of the parts with their columns as plain arrays (JSON writes a typed array as an object). */
export const packedJson = (parts: readonly PackedSamples[]) =>
  JSON.stringify(
    parts.map((p) => ({
      series: p.series,
      index: Array.from(p.index),
      ts: Array.from(p.ts),
      values: Array.from(p.values),
    })),
  );
