/**
 * Timestamp column. Integer epoch ms are written as delta-of-delta in Gorilla-style buckets: a
 * regular series (every dod 0) costs one bit per timestamp, jitter of a few ms about 10 bits.
 * Anything the integer path cannot carry exactly (fractions, |t| > 2^53, deltas beyond 2^52)
 * falls back to raw float64 bits, so the codec is exact for any input order or value.
 *
 * Layout: 1 bit mode (0 raw, 1 dod). Raw: n × 64 bits. Dod: first timestamp as sign + 53-bit
 * magnitude, then for each later one the zigzagged dod (the first against a delta of 0) as
 * '0' → 0 | '10' + 7 bits | '110' + 12 bits | '1110' + 20 bits | '11110' + 32 bits | '11111' + 53 bits.
 */
import type { BitReader } from './bit-reader.ts';
import type { BitWriter } from './bit-writer.ts';
import { MAX_EXACT_DELTA, unzigzag, zigzag } from './float-bits.ts';
import { readRawFloats, writeRawFloats } from './raw-floats.ts';

const MAX_TS = 2 ** 53;
/** Payload bits after the prefixes '10', '110', '1110', '11110' ('11111' carries 53). */
const BUCKET_BITS = [7, 12, 20, 32];

function fitsDod(ts: ArrayLike<number>): boolean {
  const n = ts.length;
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (!Number.isInteger(t) || Math.abs(t) > MAX_TS || Object.is(t, -0)) return false;
    if (i > 0) {
      // A result at most 2^52 in magnitude is exact (the true integer would be representable).
      const delta = t - prev;
      const dod = delta - prevDelta;
      if (Math.abs(delta) > MAX_EXACT_DELTA || Math.abs(dod) > MAX_EXACT_DELTA) return false;
      prevDelta = delta;
    }
    prev = t;
  }
  return true;
}

export function writeTimestamps(out: BitWriter, ts: ArrayLike<number>): void {
  const n = ts.length;
  if (n === 0) return;
  if (!fitsDod(ts)) {
    out.writeBit(0);
    writeRawFloats(out, ts);
    return;
  }
  out.writeBit(1);
  const first = ts[0]!;
  out.writeBit(first < 0 ? 1 : 0);
  out.writeWide(Math.abs(first), 54);
  let prev = first;
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    const t = ts[i]!;
    const delta = t - prev;
    const z = zigzag(delta - prevDelta);
    if (z === 0) out.writeBit(0);
    else if (z < 0x80) out.write(0b10_0000000 | z, 9);
    else if (z < 0x1000) out.write((0b110 << 12) | z, 15);
    else if (z < 0x100000) out.write((0b1110 << 20) | z, 24);
    else if (z < 0x100000000) {
      out.write(0b11110, 5);
      out.write(z, 32);
    } else {
      out.write(0b11111, 5);
      out.writeWide(z, 53);
    }
    prevDelta = delta;
    prev = t;
  }
}

export function readTimestamps(input: BitReader, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  if (input.readBit() === 0) {
    readRawFloats(input, out);
    return out;
  }
  const negative = input.readBit() === 1;
  const magnitude = input.readWide(54);
  let t = negative ? -magnitude : magnitude;
  out[0] = t;
  let delta = 0;
  for (let i = 1; i < n; i++) {
    if (input.readBit() !== 0) {
      // The prefix is the bucket: count its further 1 bits (up to 4) before the 0 that ends it.
      let bucket = 0;
      while (bucket < 4 && input.readBit() === 1) bucket++;
      const z = bucket === 4 ? input.readWide(53) : input.read(BUCKET_BITS[bucket]!);
      delta += z < 0x80000000 ? (z >>> 1) ^ -(z & 1) : unzigzag(z);
    }
    t += delta;
    out[i] = t;
  }
  return out;
}
