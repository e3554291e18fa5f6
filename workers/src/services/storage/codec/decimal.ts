/**
 * Decimal-aware value column, the idea VictoriaMetrics uses: a gauge reported with two decimals
 * is an integer count of hundredths, and integers delta-encode to a few bits where their float64
 * bits would XOR to dozens. A column qualifies at scale k (0..15) when every v equals m / 10^k
 * for an integer m with |m| ≤ 2^53, checked by doing exactly the division the decoder does and
 * comparing with Object.is (so -0, whose m would be +0, falls back to XOR).
 *
 * Layout: 4 bits k, 1 bit sign + 54 bits |m0|; for deltas of deltas the first delta zigzagged in 54
 * bits (so a counter's slope does not widen its first chunk); then the zigzagged deltas (or deltas
 * of deltas, for counters) of m in chunks of CHUNK values, each chunk led by its 6-bit width.
 */
import type { BitReader } from './bit-reader.ts';
import type { BitWriter } from './bit-writer.ts';
import { MAX_EXACT_DELTA, unzigzag, zigzag } from './float-bits.ts';

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const MAX_M = 2 ** 53;
/** Values per bit width: small enough that a spike costs one chunk, large enough that the 6-bit header is noise. */
export const CHUNK = 128;

/** Does v survive v → m → m / 10^k bit for bit? */
function exactAt(v: number, k: number): boolean {
  const p = POW10[k]!;
  const m = Math.round(v * p) + 0; // + 0 turns a -0 into +0, so -0 never passes
  return Math.abs(m) <= MAX_M && Object.is(m / p, v);
}

/** The smallest scale at which the whole column is exact, or -1. */
export function decimalScale(values: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    while (!exactAt(values[i]!, k)) if (++k > 15) return -1;
  }
  // A value that passed at a smaller k almost always passes at the larger one, but check, not hope.
  for (; k <= 15; k++) {
    let all = true;
    for (let i = 0; i < values.length && all; i++) all = exactAt(values[i]!, k);
    if (all) return k;
  }
  return -1;
}

/**
 * The zigzagged residuals of m (order 1: deltas, order 2: deltas of deltas, the first against a
 * previous delta of 0), into `into`; false when one would exceed what a double holds exactly.
 */
export function residuals(values: ArrayLike<number>, k: number, order: 1 | 2, into: Float64Array): boolean {
  const p = POW10[k]!;
  let prev = Math.round(values[0]! * p);
  let prevDelta = 0;
  for (let i = 1; i < values.length; i++) {
    const m = Math.round(values[i]! * p);
    const delta = m - prev;
    if (Math.abs(delta) > MAX_EXACT_DELTA) return false;
    const r = order === 1 ? delta : delta - prevDelta;
    if (Math.abs(r) > MAX_EXACT_DELTA) return false;
    into[i - 1] = zigzag(r);
    prevDelta = delta;
    prev = m;
  }
  return true;
}

function bitWidth(z: number): number {
  return z < 4294967296 ? 32 - Math.clz32(z) : 32 + (32 - Math.clz32(Math.floor(z / 4294967296)));
}

/** Bits the residuals take after the header: the first delta apart for order 2, then the chunks. */
export function packedBits(zs: Float64Array, order: 1 | 2): number {
  const count = zs.length;
  let bits = order === 2 && count > 0 ? 54 : 0;
  for (let start = order === 2 ? 1 : 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    let max = 0;
    for (let i = start; i < end; i++) if (zs[i]! > max) max = zs[i]!;
    bits += 6 + (end - start) * bitWidth(max);
  }
  return bits;
}

export function writeDecimal(
  out: BitWriter,
  values: ArrayLike<number>,
  k: number,
  order: 1 | 2,
  zs: Float64Array,
): void {
  const m0 = Math.round(values[0]! * POW10[k]!);
  out.write(k, 4);
  out.writeBit(m0 < 0 ? 1 : 0);
  out.writeWide(Math.abs(m0), 54);
  const count = zs.length;
  if (order === 2 && count > 0) out.writeWide(zs[0]!, 54);
  for (let start = order === 2 ? 1 : 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    let max = 0;
    for (let i = start; i < end; i++) if (zs[i]! > max) max = zs[i]!;
    const width = bitWidth(max);
    out.write(width, 6);
    if (width === 0) continue;
    if (width <= 32) for (let i = start; i < end; i++) out.write(zs[i]!, width);
    else for (let i = start; i < end; i++) out.writeWide(zs[i]!, width);
  }
}

export function readDecimal(input: BitReader, order: 1 | 2, into: Float64Array): void {
  const n = into.length;
  const p = POW10[input.read(4)]!;
  const negative = input.readBit() === 1;
  const magnitude = input.readWide(54);
  let m = negative ? -magnitude : magnitude;
  into[0] = m / p;
  let delta = 0;
  let first = 1;
  if (order === 2 && n > 1) {
    delta = unzigzag(input.readWide(54));
    m += delta;
    into[1] = m / p;
    first = 2;
  }
  for (let start = first; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const width = input.read(6);
    if (width > 0 && width < 32) {
      // The hot loop of every read: the bit reader inlined by hand on locals, 32-bit ops only.
      const words = input.words;
      const down = 32 - width;
      let pos = input.pos;
      for (let i = start; i < end; i++) {
        const w = pos >>> 5;
        const off = pos & 31;
        let z = (words[w]! << off) >>> down;
        if (off > down) z |= words[w + 1]! >>> (64 - off - width);
        pos += width;
        const r = (z >>> 1) ^ -(z & 1);
        if (order === 1) m += r;
        else m += delta += r;
        into[i] = m / p;
      }
      input.pos = pos;
      continue;
    }
    for (let i = start; i < end; i++) {
      const r = width === 0 ? 0 : unzigzag(input.readWide(width));
      if (order === 1) m += r;
      else m += delta += r;
      into[i] = m / p;
    }
  }
}
