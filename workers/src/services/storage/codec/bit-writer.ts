/**
 * Appends bits most-significant first into 32-bit words. Words, not bytes, because V8's int ops
 * are 32-bit: one shift-and-or per field instead of a loop per byte. The words are stored in the
 * platform's byte order (little-endian on every runtime we target), so the reader can view the
 * same bytes as a Uint32Array without a copy.
 */
export class BitWriter {
  private words: Uint32Array;
  /** Index of the word being filled. */
  private w = 0;
  /** Bits already used in words[w], 0..31. */
  private used = 0;

  constructor(expectedBits = 1024) {
    this.words = new Uint32Array(Math.max(16, (expectedBits >>> 5) + 2));
  }

  /** Writes the low `n` bits of `value` (0 ≤ n ≤ 32; value taken as unsigned 32-bit). */
  write(value: number, n: number): void {
    if (n === 0) return;
    if (this.w + 2 >= this.words.length) this.grow();
    const v = n === 32 ? value >>> 0 : (value & ((1 << n) - 1)) >>> 0;
    const free = 32 - this.used;
    if (n < free) {
      this.words[this.w]! |= v << (free - n);
      this.used += n;
    } else {
      // The field ends this word (and may spill into the next one).
      const spill = n - free;
      this.words[this.w]! |= spill === 32 ? 0 : v >>> spill;
      this.w++;
      this.used = spill;
      if (spill > 0) this.words[this.w] = v << (32 - spill);
    }
  }

  writeBit(bit: number): void {
    this.write(bit, 1);
  }

  /** Writes a non-negative integer below 2^n, for n up to 64; exact while the value is at most 2^53 (all callers). */
  writeWide(value: number, n: number): void {
    if (n <= 32) return this.write(value, n);
    const hi = Math.floor(value / 4294967296);
    this.write(hi, n - 32);
    this.write(value >>> 0, 32);
  }

  /** The stream as little-endian words, padded to whole words: `byteLength` is a multiple of 4. */
  finish(): Uint32Array {
    return this.words.subarray(0, this.w + (this.used > 0 ? 1 : 0));
  }

  private grow(): void {
    const next = new Uint32Array(this.words.length * 2);
    next.set(this.words);
    this.words = next;
  }
}
