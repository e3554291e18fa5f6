/**
 * What a store keeps beside a block so coarse queries (counts, min/max/avg over whole blocks,
 * latest value) are answered without decoding it.
 */
export interface BlockSummary {
  count: number;
  minTs: number;
  maxTs: number;
  min: number;
  max: number;
  sum: number;
  /** The value at the latest timestamp (the later one in the block among equal timestamps). */
  last: number;
}

/** Summary of one value column against its timestamps; null for an empty block. */
export function blockSummary(ts: ArrayLike<number>, values: ArrayLike<number>): BlockSummary | null {
  const n = ts.length;
  if (values.length !== n) throw new RangeError(`${values.length} values for ${n} timestamps`);
  if (n === 0) return null;
  let minTs = ts[0]!;
  let maxTs = minTs;
  let min = values[0]!;
  let max = min;
  let sum = min;
  let last = min;
  for (let i = 1; i < n; i++) {
    const t = ts[i]!;
    const v = values[i]!;
    if (t < minTs) minTs = t;
    if (t >= maxTs) {
      maxTs = t;
      last = v;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { count: n, minTs, maxTs, min, max, sum, last };
}
