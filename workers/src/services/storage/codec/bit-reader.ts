/** Reads the stream `BitWriter` produced: fields of up to 32 bits, most-significant bit first. */
export class BitReader {
  /** Position in bits from the start of `words`. */
  pos = 0;

  /** The stream; hot loops read it directly and move `pos` themselves. */
  readonly words: Uint32Array;

  constructor(words: Uint32Array) {
    this.words = words;
  }

  /** Reads `n` bits (1 ≤ n ≤ 32) as an unsigned number. Reading past the end yields zero bits. */
  read(n: number): number {
    const pos = this.pos;
    const w = pos >>> 5;
    const off = pos & 31;
    this.pos = pos + n;
    const head = (this.words[w]! << off) >>> 0;
    if (off + n <= 32) return n === 32 ? head : head >>> (32 - n);
    // The field straddles two words: the rest comes from the top of the next one.
    return ((head >>> (32 - n)) | ((this.words[w + 1] ?? 0) >>> (64 - off - n))) >>> 0;
  }

  readBit(): number {
    const pos = this.pos++;
    return (this.words[pos >>> 5]! >>> (31 - (pos & 31))) & 1;
  }

  /** Reads `n` bits (up to 64) as a non-negative number; exact while the value stays below 2^53. */
  readWide(n: number): number {
    if (n <= 32) return n === 0 ? 0 : this.read(n);
    const hi = this.read(n - 32);
    return hi * 4294967296 + this.read(32);
  }
}
