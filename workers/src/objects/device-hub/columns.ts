/**
 * Points as two columns. A DeviceHub answers history reads in this form because typed arrays
 * cross the RPC as one buffer copy each, where 8,640 `{ts, value}` objects are cloned one by
 * one; the Worker writes the JSON straight from the columns.
 */
export interface PointColumns {
  ts: Float64Array;
  values: Float64Array;
}

/** Points of one series, as columns. */
export interface SeriesColumns extends PointColumns {
  seriesId: string;
}

export function toColumns(points: readonly { ts: number; value: number }[]): PointColumns {
  const ts = new Float64Array(points.length);
  const values = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    ts[i] = p.ts;
    values[i] = p.value;
  }
  return { ts, values };
}

/** Per-series points as per-series columns, the form the hub's aggregate reads answer in. */
export function seriesColumns(
  series: readonly { seriesId: string; points: readonly { ts: number; value: number }[] }[],
): SeriesColumns[] {
  return series.map((s) => ({ seriesId: s.seriesId, ...toColumns(s.points) }));
}
