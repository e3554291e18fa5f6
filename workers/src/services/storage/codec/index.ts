/**
 * Column blocks: the compressed form of time series in a DeviceHub (raw samples, 1-minute
 * rollups). A block holds n timestamps (integer epoch ms, ascending, duplicates allowed) and one
 * or more value columns of n float64s each. `decodeBlock(encodeBlock(ts, cols))` gives back
 * exactly the same numbers (bit for bit, including -0 and subnormals; NaN is never stored).
 *
 * PLACEHOLDER: this first version packs plain float64s, so callers can be built against the
 * interface while the real codec (delta-of-delta timestamps, decimal-aware / XOR values) is
 * written behind it. The format carries a version byte, so blocks written by this version stay
 * readable after the real codec lands.
 */

export interface DecodedBlock {
  ts: Float64Array;
  /** One array per value column, each of ts.length values. */
  columns: Float64Array[];
}

const VERSION_PLAIN = 0;

export function encodeBlock(ts: ArrayLike<number>, columns: readonly ArrayLike<number>[]): Uint8Array {
  const n = ts.length;
  for (const c of columns) if (c.length !== n) throw new RangeError(`column of ${c.length} values for ${n} timestamps`);
  const out = new Uint8Array(6 + 8 * n * (1 + columns.length));
  const view = new DataView(out.buffer);
  view.setUint8(0, VERSION_PLAIN);
  view.setUint32(1, n, true);
  view.setUint8(5, columns.length);
  let at = 6;
  for (const col of [ts, ...columns]) {
    for (let i = 0; i < n; i++, at += 8) view.setFloat64(at, col[i]!, true);
  }
  return out;
}

export function decodeBlock(bytes: Uint8Array): DecodedBlock {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== VERSION_PLAIN) throw new RangeError(`unknown block version ${version}`);
  const n = view.getUint32(1, true);
  const k = view.getUint8(5);
  const read = (c: number) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(6 + 8 * (c * n + i), true);
    return out;
  };
  return { ts: read(0), columns: Array.from({ length: k }, (_, c) => read(c + 1)) };
}
