/**
 * The column-block codec (workers/src/services/storage/codec): encode → decode is exact, bit for
 * bit (Object.is per value), for any series a DeviceHub may store; compact for the shapes it sees.
 * Runs in workerd, where the codec runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockLength, decodeBlock, encodeBlock } from '../../workers/src/services/storage/codec/index.ts';
import { valueAt, type Dataset } from '../../bench/dataset.ts';

const TWO_53 = 2 ** 53;
const START = Date.UTC(2026, 11, 1);

/** Values where float encodings break: signs of zero, subnormals, the edge of exact integers, the extremes. */
const edgeValue = fc.constantFrom(
  0,
  -0, // must not come back as +0: the decimal path has to refuse it
  Number.MIN_VALUE, // smallest subnormal
  -Number.MIN_VALUE,
  2.2250738585072014e-308, // smallest normal, next to the subnormals
  1e-300, // tiny magnitude, no short decimal form
  TWO_53, // largest integer the decimal path accepts
  -TWO_53,
  TWO_53 + 2, // past 2^53: must take the XOR path (m would not be exact)
  -(TWO_53 + 2),
  Number.MAX_VALUE, // v * 10^k overflows to Infinity in the decimal check
  -Number.MAX_VALUE,
  0.1, // the classic decimal that is not exact in binary
  123456.789,
);

/** Values with 0–6 decimals, as sensors report them: the decimal path's own ground. */
const decimalValue = fc
  .tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 6 }))
  .map(([m, d]) => m / 10 ** d);

/** Any finite double, including -0 and subnormals: whatever the decimal check misses, XOR must carry. */
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

/** start + steps[0], start + steps[0] + steps[1], … */
function runningSum(start: number, steps: number[]): number[] {
  let at = start;
  return steps.map((s) => (at += s));
}

/** One column of n values, in the shapes that steer the per-column choice one way or the other. */
function column(n: number): fc.Arbitrary<number[]> {
  const of = (v: fc.Arbitrary<number>) => fc.array(v, { minLength: n, maxLength: n });
  return fc.oneof(
    // Mixed values: the column falls back to XOR, or to the largest scale that fits them all.
    of(fc.oneof(edgeValue, decimalValue, anyDouble)),
    // Only edge values: XOR windows opening and closing on extreme bit patterns.
    of(edgeValue),
    // A fixed number of decimals throughout: decimal deltas (a wide range stresses the chunk widths).
    fc
      .tuple(
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.integer({ min: -1e12, max: 1e12 }), { minLength: n, maxLength: n }),
      )
      .map(([d, ms]) => ms.map((m) => m / 10 ** d)),
    // A random walk of hundredths: the gauge shape, small deltas.
    fc
      .tuple(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: n, maxLength: n }),
      )
      .map(([start, steps]) => runningSum(start, steps).map((m) => m / 100)),
    // A counter near the top of the exact range: deltas of deltas and 54-bit first values.
    fc
      .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
      .map(([slope, jitter]) => Array.from({ length: n }, (_, i) => TWO_53 - 1e6 * n + i * slope + (i % 3) * jitter)),
    // Integers spanning ±2^53: deltas past 2^52 must be refused, not rounded.
    of(fc.oneof(fc.maxSafeInteger(), fc.constantFrom(TWO_53, -TWO_53))),
    // A constant (possibly -0 or a subnormal): one bit per value or less.
    fc.oneof(edgeValue, decimalValue, anyDouble).map((v) => Array.from({ length: n }, () => v)),
  );
}

/** Timestamps of n samples, in every order the codec must survive even though ingest sorts them. */
function timestamps(n: number): fc.Arbitrary<number[]> {
  return fc.oneof(
    // Regular 10 s with a few ms of jitter: the common case, dod buckets of 0 and 7 bits.
    fc
      .array(fc.integer({ min: -5, max: 5 }), { minLength: n, maxLength: n })
      .map((jitter) => jitter.map((j, i) => START + i * 10_000 + j)),
    // Irregular gaps, zero included (duplicate timestamps), up to days: every dod bucket.
    fc
      .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2 ** 31 })), {
        minLength: n,
        maxLength: n,
      })
      .map((gaps) => runningSum(START, gaps)),
    // Descending: negative deltas.
    fc.integer({ min: 1, max: 60_000 }).map((step) => Array.from({ length: n }, (_, i) => START - i * step)),
    // Any order across ±2^53 (and -0): big dods must fall back to raw bits, not lose precision.
    fc.array(fc.oneof(fc.maxSafeInteger(), fc.constantFrom(TWO_53, -TWO_53, -0, 0)), { minLength: n, maxLength: n }),
    // Non-integer times never come from ingest, but the codec promises exactness for any input.
    fc.array(anyDouble, { minLength: n, maxLength: n }),
  );
}

/** A block: 0–300 samples (empty and single-sample blocks are drawn often) and 1–6 columns. */
const block = fc
  .oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 300 }))
  .chain((n) => fc.tuple(timestamps(n), fc.array(column(n), { minLength: 1, maxLength: 6 })));

function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`${what}[${i}]: ${actual[i]} instead of ${expected[i]}`);
  }
}

function roundTrip(ts: number[], columns: number[][]): void {
  const decoded = decodeBlock(encodeBlock(ts, columns));
  expectExact(decoded.ts, ts, 'ts');
  expect(decoded.columns).toHaveLength(columns.length);
  columns.forEach((c, j) => expectExact(decoded.columns[j]!, c, `column ${j}`));
}

describe('column-block codec', () => {
  it('decodes exactly what it encoded, for random series', () => {
    fc.assert(
      fc.property(block, ([ts, columns]) => roundTrip(ts, columns)),
      { numRuns: 300 },
    );
  });

  it('decodes exactly from a blob at any byte offset (SQLite may hand back an unaligned view)', () => {
    fc.assert(
      fc.property(block, fc.integer({ min: 0, max: 7 }), ([ts, columns], offset) => {
        const bytes = encodeBlock(ts, columns);
        const shifted = new Uint8Array(bytes.byteLength + offset);
        shifted.set(bytes, offset);
        const decoded = decodeBlock(shifted.subarray(offset));
        expectExact(decoded.ts, ts, 'ts');
        columns.forEach((c, j) => expectExact(decoded.columns[j]!, c, `column ${j}`));
      }),
      { numRuns: 50 },
    );
  });

  it('keeps empty and single-sample blocks, and ±Infinity', () => {
    roundTrip([], [[]]);
    roundTrip([], [[], [], []]);
    roundTrip([START], [[-0]]);
    roundTrip([START], [[1.25], [Number.MIN_VALUE]]);
    roundTrip([START, START + 10_000, START + 20_000], [[Infinity, -Infinity, 1.5]]);
  });

  it('stores the bench gauge (two decimals, jitter ±10, every 10 s) in under 2.5 bytes per sample', () => {
    const d: Dataset = {
      name: 'codec',
      devices: 1,
      seriesPerDevice: 1,
      start: START,
      intervalMs: 10_000,
      points: 2048,
    };
    const ts = Array.from({ length: d.points }, (_, i) => START + i * d.intervalMs);
    const values = ts.map((_, i) => valueAt(d, 0, 0, i));
    const bytes = encodeBlock(ts, [values]);
    expect(bytes.byteLength / d.points).toBeLessThan(2.5);
    roundTrip(ts, [values]);
  });

  it('stores a counter and a constant in well under a byte per sample', () => {
    const ts = Array.from({ length: 1000 }, (_, i) => START + i * 10_000);
    const counter = ts.map((_, i) => 5_000_000 + 37 * i);
    const constant = ts.map(() => 21.5);
    expect(encodeBlock(ts, [counter]).byteLength / ts.length).toBeLessThan(0.3);
    expect(encodeBlock(ts, [constant]).byteLength / ts.length).toBeLessThan(0.3);
  });

  it('chooses the encoding per column: a raw double column does not widen a decimal one', () => {
    const ts = Array.from({ length: 1000 }, (_, i) => START + i * 10_000);
    const gauge = ts.map((_, i) => Math.round(2000 + 100 * Math.sin(i / 50)) / 100);
    const noisy = ts.map((_, i) => Math.sin(i) * Math.PI);
    const together = encodeBlock(ts, [gauge, noisy]).byteLength;
    const apart = encodeBlock(ts, [gauge]).byteLength + encodeBlock(ts, [noisy]).byteLength;
    // Together saves the second copy of the timestamps; nothing else changes.
    expect(together).toBeLessThan(apart);
    roundTrip(ts, [gauge, noisy]);
  });

  it('refuses columns of the wrong length and blocks it cannot read', () => {
    expect(() => encodeBlock([1, 2], [[1]])).toThrow(RangeError);
    expect(() => decodeBlock(new Uint8Array([9, 0, 0, 0]))).toThrow(/unknown block version 9/);
    expect(() => decodeBlock(new Uint8Array([1, 1, 0]))).toThrow(RangeError);
    expect(() => decodeBlock(new Uint8Array(0))).toThrow(RangeError);
    const whole = encodeBlock([START, START + 10_000, START + 20_000], [[1.5, Math.PI, 2.5]]);
    expect(() => decodeBlock(whole.subarray(0, whole.byteLength - 4))).toThrow(/truncated block/);
    // The count is read from the header, without decoding.
    expect(blockLength(whole)).toBe(3);
  });
});
