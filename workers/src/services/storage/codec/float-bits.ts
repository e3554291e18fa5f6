/**
 * One float64 seen as two 32-bit halves (little-endian: [0] low, [1] high), so XOR and bit counts
 * run on 32-bit ints without BigInt or per-value allocation.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

export function lowBits(v: number): number {
  f64[0] = v;
  return u32[0]!;
}

/** High half of the bits of the value last passed to `lowBits` (call that first). */
export function highBitsOfLast(): number {
  return u32[1]!;
}

/** Count of trailing zero bits of a non-zero 32-bit value. */
export function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Largest magnitude a delta may have so that the delta, its zigzag and their sums stay exact in a double. */
export const MAX_EXACT_DELTA = 2 ** 52;

/** Zigzag: 0, -1, 1, -2 … → 0, 1, 2, 3 …; exact for |v| ≤ 2^52. */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(z: number): number {
  // Halving and the odd test in float math: z may exceed 32 bits.
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
