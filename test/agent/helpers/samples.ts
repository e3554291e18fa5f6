import { expect } from 'vitest';
import type { Sample } from '../../../agent/src/collectors/types.ts';

export const byMetric = (samples: Sample[], metric: string) => samples.filter((s) => s.metric === metric);

/** The only sample of `metric`; fails the test when there are none or several. */
export const one = (samples: Sample[], metric: string) => {
  const found = byMetric(samples, metric);
  expect(found, metric).toHaveLength(1);
  return found[0]!;
};

/** Keeps this thread busy for `ms`, so CPU collectors have something to see. */
export const busy = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) Math.sqrt(Math.random());
};
