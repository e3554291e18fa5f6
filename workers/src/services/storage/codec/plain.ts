/**
 * Version 0: the placeholder format, plain float64s. Still read, because blocks written while the
 * real codec was being built may be stored. encodePlain is no longer used for storage, only by tests.
 * Layout: u8 version 0, u32 LE n, u8 column count, then the timestamps and each column as n LE float64s.
 */
import type { DecodedBlock } from './types.ts';

export const VERSION_PLAIN = 0;

export function encodePlain(ts: ArrayLike<number>, columns: readonly ArrayLike<number>[]): Uint8Array {
  const n = ts.length;
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

export function decodePlain(bytes: Uint8Array): DecodedBlock {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(1, true);
  const k = view.getUint8(5);
  if (bytes.byteLength < 6 + 8 * n * (1 + k)) throw new RangeError('truncated version-0 block');
  const read = (c: number) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(6 + 8 * (c * n + i), true);
    return out;
  };
  return { ts: read(0), columns: Array.from({ length: k }, (_, c) => read(c + 1)) };
}
