import { describe, expect, it } from 'vitest';
import { SeriesPoints } from '../../workers/dashboard/src/charts/aligned.ts';
import { counterRates } from '../../workers/dashboard/src/charts/rates.ts';

const at = (s: number, value: number) => ({ ts: s * 1000, value });

describe('counterRates', () => {
  it('turns a running total into the increase per second between successive points', () => {
    expect(counterRates([at(0, 100), at(10, 150), at(20, 150), at(25, 160)])).toEqual([
      at(10, 5),
      at(20, 0),
      at(25, 2),
    ]);
  });

  it('reads a drop as a reset to zero: the new value is the increase, never a negative rate', () => {
    // The process restarted between 20 s and 30 s and had counted 40 since.
    expect(counterRates([at(0, 1000), at(10, 1200), at(20, 1400), at(30, 40), at(40, 90)])).toEqual([
      at(10, 20),
      at(20, 20),
      at(30, 4),
      at(40, 5),
    ]);
    for (const p of counterRates([at(0, 5), at(1, 3), at(2, -1), at(3, 0)])) expect(p.value).toBeGreaterThanOrEqual(0);
  });

  it('needs two points, and skips a point at the same time as the one before', () => {
    expect(counterRates([])).toEqual([]);
    expect(counterRates([at(0, 7)])).toEqual([]);
    expect(counterRates([at(0, 1), at(0, 2), at(2, 6)])).toEqual([at(2, 2)]);
  });
});

describe('SeriesPoints.aligned', () => {
  it('draws the keys named as counters as rates and the others as they are', () => {
    const store = new SeriesPoints();
    // Live samples may arrive out of order; rates are taken in time order.
    store.add('errors_total', [at(20, 30), at(0, 10), at(10, 20)]);
    store.add('gauge', [at(0, 1), at(10, 2), at(20, 3)]);
    const [xs, errors, gauge] = store.aligned(['errors_total', 'gauge'], new Set(['errors_total']));
    expect(xs).toEqual([0, 10, 20]);
    expect(errors).toEqual([null, 1, 1]);
    expect(gauge).toEqual([1, 2, 3]);
    // Without the set, the running total itself.
    expect(store.aligned(['errors_total'])[1]).toEqual([10, 20, 30]);
  });
});
