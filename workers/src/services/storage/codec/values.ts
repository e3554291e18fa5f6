/**
 * One value column: each column gets whichever encoding is smallest for it, recorded in 2 bits
 * ahead of its data, so a block can mix a two-decimal gauge, an integer counter and a raw double.
 * Encodings: 0 Gorilla XOR, 1 decimal with deltas (gauges), 2 decimal with deltas of deltas
 * (counters and other steady slopes).
 */
import type { BitReader } from './bit-reader.ts';
import type { BitWriter } from './bit-writer.ts';
import { decimalScale, packedBits, readDecimal, residuals, writeDecimal } from './decimal.ts';
import { readXor, writeXor } from './xor.ts';

const XOR = 0;
const DECIMAL_DELTA = 1;
const DECIMAL_DOD = 2;
/** k, sign and first integer ahead of a decimal column's residuals. */
const DECIMAL_HEADER_BITS = 4 + 1 + 54;

export function writeValues(out: BitWriter, values: ArrayLike<number>): void {
  const n = values.length;
  if (n === 0) return;
  let best = XOR;
  let bestBits = Infinity;
  let bestOrder: 1 | 2 = 1;
  let bestZs: Float64Array | undefined;
  const k = decimalScale(values);
  if (k >= 0) {
    for (const order of [1, 2] as const) {
      const zs = new Float64Array(n - 1);
      if (!residuals(values, k, order, zs)) continue;
      const bits = DECIMAL_HEADER_BITS + packedBits(zs, order);
      if (bits < bestBits) {
        best = order === 1 ? DECIMAL_DELTA : DECIMAL_DOD;
        [bestBits, bestOrder, bestZs] = [bits, order, zs];
      }
    }
  }
  // XOR costs at least 64 bits plus one per value; only count it when it could win.
  if (bestBits > 64 + n - 1 && writeXor(null, values) < bestBits) best = XOR;
  out.write(best, 2);
  if (best === XOR) writeXor(out, values);
  else writeDecimal(out, values, k, bestOrder, bestZs!);
}

export function readValues(input: BitReader, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  const encoding = input.read(2);
  if (encoding === XOR) readXor(input, out);
  else if (encoding === DECIMAL_DELTA) readDecimal(input, 1, out);
  else if (encoding === DECIMAL_DOD) readDecimal(input, 2, out);
  else throw new RangeError(`unknown value encoding ${encoding}`);
  return out;
}
