/**
 * Column-block codec figures: bytes per sample and encode/decode rates for a few series shapes.
 * Standalone (not part of `npm run bench`): `node_modules/.bin/node bench/codec.ts [blockSize]`.
 * A sample is one timestamp plus one value; rates count values (timestamps included) per second.
 */
import { decodeBlock, encodeBlock } from '../workers/src/services/storage/codec/index.ts';
import { valueAt, type Dataset } from './dataset.ts';

const BLOCK = Number(process.argv[2] ?? 2048);
const BLOCKS = 200;
const START = Date.UTC(2026, 11, 1);
const dataset: Dataset = {
  name: 'codec',
  devices: 1,
  seriesPerDevice: 1,
  start: START,
  intervalMs: 10_000,
  points: BLOCK * BLOCKS,
};

let seed = 12345;
/** Deterministic so runs compare. */
const next32 = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
/** 53 random mantissa bits, as Math.random gives: the worst case for every float encoding. */
const random = () => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53;

const shapes: Record<string, (i: number) => number> = {
  'gauge, 2 decimals (bench dataset)': (i) => valueAt(dataset, 0, 0, i),
  'integer counter, steady rate': (i) => 1_000_000 + i * 37,
  'integer counter, varying rate': (i) => 1_000_000 + i * 37 + Math.floor(20 * Math.sin(i / 50) + (i % 7)),
  'random doubles': () => random() * 1000,
  constant: () => 42.5,
};

function blocksOf(value: (i: number) => number): Array<{ ts: Float64Array; values: Float64Array }> {
  return Array.from({ length: BLOCKS }, (_, b) => {
    const ts = new Float64Array(BLOCK);
    const values = new Float64Array(BLOCK);
    for (let j = 0; j < BLOCK; j++) {
      const i = b * BLOCK + j;
      ts[j] = START + i * 10_000;
      values[j] = value(i);
    }
    return { ts, values };
  });
}

function rate(values: number, ms: number): string {
  return `${(((values / ms) * 1000) / 1e6).toFixed(1)} M values/s`;
}

console.log(`block of ${BLOCK} samples, ${BLOCKS} blocks per shape, 10 s interval`);
for (const [name, value] of Object.entries(shapes)) {
  const blocks = blocksOf(value);
  // Warm up both paths so the figures are for optimised code.
  for (let r = 0; r < 3; r++) for (const b of blocks) decodeBlock(encodeBlock(b.ts, [b.values]));
  let t = performance.now();
  const encoded = blocks.map((b) => encodeBlock(b.ts, [b.values]));
  const encodeMs = performance.now() - t;
  const rounds = 5;
  t = performance.now();
  let check = 0;
  for (let r = 0; r < rounds; r++) for (const e of encoded) check += decodeBlock(e).columns[0]![BLOCK - 1]!;
  const decodeMs = (performance.now() - t) / rounds;
  // Uses the decoded values, so the decode loop cannot be optimised away.
  if (Number.isNaN(check)) throw new Error(`${name}: NaN after decode`);
  for (let b = 0; b < blocks.length; b++) {
    const d = decodeBlock(encoded[b]!);
    for (let j = 0; j < BLOCK; j++) {
      if (!Object.is(d.ts[j], blocks[b]!.ts[j]) || !Object.is(d.columns[0]![j], blocks[b]!.values[j])) {
        throw new Error(`${name}: block ${b} sample ${j} differs after decode`);
      }
    }
  }
  const bytes = encoded.reduce((s, e) => s + e.byteLength, 0);
  const samples = BLOCK * BLOCKS;
  console.log(
    `${name.padEnd(36)} ${(bytes / samples).toFixed(3)} B/sample  encode ${rate(2 * samples, encodeMs)}  decode ${rate(2 * samples, decodeMs)}`,
  );
}
