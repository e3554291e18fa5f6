/**
 * Gorilla XOR value column (Pelkonen et al., VLDB 2015), for floats with no short decimal form:
 * each value's bits XOR the previous value's; an equal value costs one bit, a close one the
 * meaningful bits of the XOR. Exact for every float64 bit pattern (±0, subnormals, ±Infinity).
 *
 * Layout: first value as 64 raw bits; then per value '0' (same bits) | '10' + the meaningful bits
 * inside the previous window | '11' + 5 bits leading zeros (capped at 31) + 6 bits length − 1 +
 * the meaningful bits. All on 32-bit halves, no BigInt.
 */
import type { BitReader } from './bit-reader.ts';
import type { BitWriter } from './bit-writer.ts';
import { ctz32, highBitsOfLast, lowBits } from './float-bits.ts';

/** Writes (or, with `out` null, only counts) the XOR stream; returns its length in bits. */
export function writeXor(out: BitWriter | null, values: ArrayLike<number>): number {
  const n = values.length;
  let prevLo = lowBits(values[0]!);
  let prevHi = highBitsOfLast();
  out?.write(prevHi, 32);
  out?.write(prevLo, 32);
  let bits = 64;
  // No window yet: 64 makes the first non-zero XOR open one.
  let winLead = 64;
  let winTrail = 64;
  for (let i = 1; i < n; i++) {
    const lo = lowBits(values[i]!);
    const hi = highBitsOfLast();
    const xHi = (hi ^ prevHi) >>> 0;
    const xLo = (lo ^ prevLo) >>> 0;
    prevHi = hi;
    prevLo = lo;
    if (xHi === 0 && xLo === 0) {
      out?.write(0, 1);
      bits += 1;
      continue;
    }
    let lead = xHi !== 0 ? Math.clz32(xHi) : 32 + Math.clz32(xLo);
    const trail = xLo !== 0 ? ctz32(xLo) : 32 + ctz32(xHi);
    if (lead > 31) lead = 31;
    if (lead >= winLead && trail >= winTrail && winLead + winTrail < 64) {
      const len = 64 - winLead - winTrail;
      if (out) {
        out.write(0b10, 2);
        writeShifted(out, xHi, xLo, winTrail, len);
      }
      bits += 2 + len;
    } else {
      const len = 64 - lead - trail;
      if (out) {
        out.write(0b11, 2);
        out.write(lead, 5);
        out.write(len - 1, 6);
        writeShifted(out, xHi, xLo, trail, len);
      }
      bits += 13 + len;
      winLead = lead;
      winTrail = trail;
    }
  }
  return bits;
}

/** Writes bits [shift, shift + len) of the 64-bit value hi:lo. */
function writeShifted(out: BitWriter, hi: number, lo: number, shift: number, len: number): void {
  let sHi = hi;
  let sLo = lo;
  if (shift >= 32) {
    sLo = hi >>> (shift - 32);
    sHi = 0;
  } else if (shift > 0) {
    sLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    sHi = hi >>> shift;
  }
  if (len > 32) {
    out.write(sHi, len - 32);
    out.write(sLo, 32);
  } else out.write(sLo, len);
}

export function readXor(input: BitReader, into: Float64Array): void {
  const n = into.length;
  const halves = new Uint32Array(into.buffer, into.byteOffset, n * 2);
  let hi = input.read(32);
  let lo = input.read(32);
  halves[0] = lo;
  halves[1] = hi;
  let winLead = 0;
  let winLen = 64;
  for (let i = 1; i < n; i++) {
    if (input.readBit() !== 0) {
      if (input.readBit() !== 0) {
        winLead = input.read(5);
        winLen = input.read(6) + 1;
      }
      const shift = 64 - winLead - winLen;
      // Read the meaningful bits as hi:lo, then move them up to their place.
      let mHi = 0;
      let mLo: number;
      if (winLen > 32) {
        mHi = input.read(winLen - 32);
        mLo = input.read(32);
      } else mLo = input.read(winLen);
      let xHi: number;
      let xLo: number;
      if (shift >= 32) {
        xHi = shift === 64 ? 0 : mLo << (shift - 32);
        xLo = 0;
      } else if (shift > 0) {
        xHi = (mHi << shift) | (mLo >>> (32 - shift));
        xLo = mLo << shift;
      } else {
        xHi = mHi;
        xLo = mLo;
      }
      hi = (hi ^ xHi) >>> 0;
      lo = (lo ^ xLo) >>> 0;
    }
    halves[2 * i] = lo;
    halves[2 * i + 1] = hi;
  }
}
