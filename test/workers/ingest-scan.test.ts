import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flatBatchSchema, groupedBatchSchema } from '../../schema/wire/ingest.ts';
import { scanFlat, scanGrouped } from '../../workers/src/services/ingest/scan.ts';

// The one-pass scan must accept exactly what the zod schemas accept: the schemas are the
// contract, and anything the scan refuses is handed to them to name the problem.

const t0 = 1_795_000_000_000;
const odd = fc.constantFrom<unknown>(
  null,
  undefined,
  '',
  '1',
  0,
  -0,
  1.5,
  -1,
  1e300,
  t0,
  t0 + 0.5,
  946_684_799_999,
  32_503_680_000_001,
  [],
  {},
  [t0, 1],
  [t0, 1, 2],
  { a: 'b' },
  { __proto__: 'x' },
  JSON.parse('{"__proto__":"x"}'),
  'x'.repeat(257),
  '__name__',
  'cpu',
  '9x',
  true,
);
/** Mostly a valid value, now and then an odd one: bodies must pass often enough to matter. */
const mostly = <T>(valid: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown> = odd) =>
  fc.oneof({ arbitrary: valid, weight: 40 }, { arbitrary: bad, weight: 1 });
const metric = mostly(
  fc.constantFrom('cpu', 'load1', '_x', 'a'.repeat(128)),
  fc.oneof(fc.constantFrom('a'.repeat(129), '9x', ''), odd),
);
const labelName = fc.oneof(
  { arbitrary: fc.constantFrom('host', 'cpu', '_', '_a', 'constructor'), weight: 40 },
  { arbitrary: fc.constantFrom('__x', '1a', 'a-b', '__proto__', 'a'.repeat(65)), weight: 1 },
);
const labels = mostly(
  fc.dictionary(
    labelName,
    mostly(fc.constantFrom('a', '', 'x'.repeat(256)), fc.oneof(fc.constant('x'.repeat(257)), odd)),
    {
      maxKeys: 4,
    },
  ),
  fc.oneof(odd, fc.dictionary(fc.string({ maxLength: 3 }), fc.constant('v'), { minKeys: 17, maxKeys: 18 })),
);
const ts = mostly(fc.integer({ min: t0, max: t0 + 1000 }));
const value = mostly(fc.double({ noNaN: true, noDefaultInfinity: true }));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const extra = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 30 },
  { arbitrary: fc.constantFrom('unit', '__proto__', 'value', 'points'), weight: 1 },
);

function build(fields: Record<string, unknown>, extraKey: string | undefined): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  // Through JSON, as a request body arrives: no undefined values, and a __proto__ key is an own key.
  const json = JSON.stringify(out);
  return JSON.parse(extraKey ? `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"${extraKey}":1}` : json);
}

const sample = fc.record({ metric, ts, value, labels: maybe(labels), extra }).map(({ extra: e, ...f }) => build(f, e));
const point = mostly(fc.tuple(ts, value), fc.oneof(odd, fc.tuple(ts, value, value)));
const series = fc
  .record({
    metric,
    labels: maybe(labels),
    points: mostly(fc.array(point, { minLength: 1, maxLength: 4 }), fc.oneof(odd, fc.constant([]))),
    extra,
  })
  .map(({ extra: e, ...f }) => build(f, e));
const agent = maybe(
  mostly(fc.record({ version: fc.constantFrom('1.0', '2') }), fc.oneof(odd, fc.constant({ version: 'x'.repeat(65) }))),
);
const batchId = mostly(fc.constantFrom('b-1', 'a:b.c_d'), fc.oneof(fc.constantFrom('', 'x y', 'x'.repeat(101)), odd));
const body = (list: 'samples' | 'series', item: fc.Arbitrary<unknown>) =>
  fc
    .record({
      batchId,
      list: mostly(fc.array(item, { minLength: 1, maxLength: 4 }), fc.oneof(odd, fc.constant([]))),
      agent,
      extra,
    })
    .map(({ list: l, extra: e, ...f }) => build({ ...f, [list]: l }, e === 'value' ? undefined : e));

describe('the ingest scan', () => {
  it('accepts a flat body exactly when the flat schema does', () => {
    const schema = flatBatchSchema();
    let accepted = 0;
    fc.assert(
      fc.property(body('samples', sample), (raw) => {
        const ok = schema.safeParse(raw).success;
        if (ok) accepted++;
        expect(scanFlat(raw, Infinity) !== undefined).toBe(ok);
      }),
      { numRuns: 3000 },
    );
    // Both answers are exercised, not only refusals.
    expect(accepted).toBeGreaterThan(300);
  });

  it('accepts a grouped body exactly when the grouped schema does', () => {
    const schema = groupedBatchSchema();
    let accepted = 0;
    fc.assert(
      fc.property(body('series', series), (raw) => {
        const ok = schema.safeParse(raw).success;
        if (ok) accepted++;
        expect(scanGrouped(raw, Infinity) !== undefined).toBe(ok);
      }),
      { numRuns: 3000 },
    );
    // Both answers are exercised, not only refusals.
    expect(accepted).toBeGreaterThan(300);
  });
});
