/** Plain float64 bits (high half, then low half): the fallback that is exact for any number. */
import type { BitReader } from './bit-reader.ts';
import type { BitWriter } from './bit-writer.ts';
import { highBitsOfLast, lowBits } from './float-bits.ts';

export function writeRawFloats(out: BitWriter, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const lo = lowBits(values[i]!);
    out.write(highBitsOfLast(), 32);
    out.write(lo, 32);
  }
}

export function readRawFloats(input: BitReader, into: Float64Array): void {
  const halves = new Uint32Array(into.buffer, into.byteOffset, into.length * 2);
  for (let i = 0; i < into.length; i++) {
    halves[2 * i + 1] = input.read(32);
    halves[2 * i] = input.read(32);
  }
}
