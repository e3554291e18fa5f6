import { describe, expect, it } from 'vitest';
import { createMemorySpool } from '../../agent/src/spool/memory.ts';
import { describeSpoolContract, samples } from './spool-contract.ts';

describeSpoolContract('memory spool', () => createMemorySpool({ maxSamples: 1_000 }));

describe('memory spool', () => {
  it('drops the oldest samples when full and counts them', async () => {
    const spool = createMemorySpool({ maxSamples: 5 });
    await spool.add(samples(4));
    await spool.add(samples(3, 4));
    expect(spool.stats()).toMatchObject({ pendingSamples: 5, dropped: 2, added: 7 });
    const b = await spool.batch(10);
    expect(b?.samples.map((s) => s.value)).toEqual([2, 3, 4, 5, 6]);
  });

  it('never drops samples of the open batch, which the Worker may already hold', async () => {
    const spool = createMemorySpool({ maxSamples: 4 });
    await spool.add(samples(3));
    const open = await spool.batch(3);
    await spool.add(samples(3, 10));
    expect((await spool.batch(3))?.samples.map((s) => s.value)).toEqual([0, 1, 2]);
    expect(spool.stats()).toMatchObject({ pendingSamples: 4, inFlightSamples: 3, dropped: 2 });
    await spool.accept(open!.batchId);
    expect((await spool.batch(3))?.samples.map((s) => s.value)).toEqual([12]);
  });

  it('refuses a non-positive bound', () => {
    expect(() => createMemorySpool({ maxSamples: 0 })).toThrow(/maxSamples/);
  });
});
