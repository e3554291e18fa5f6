import { describe, expect, it } from 'vitest';
import { batchId as wireBatchId } from '../../schema/wire/ingest.ts';
import type { Sample } from '../../agent/src/collectors/types.ts';
import type { Spool } from '../../agent/src/spool/types.ts';

/** Samples with distinct values 0..n-1, so order and identity are visible. */
export const samples = (n: number, from = 0): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ metric: 'test_value', ts: 1_700_000_000_000 + from + i, value: from + i }));

const values = (s: readonly Sample[] | undefined) => s?.map((x) => x.value);

/**
 * The behaviour every spool implementation shares (memory now, disk later). `create` returns a
 * fresh, empty spool able to hold at least 1 000 samples.
 */
export function describeSpoolContract(name: string, create: () => Promise<Spool> | Spool) {
  describe(`${name} (spool contract)`, () => {
    it('has no batch when empty', async () => {
      const spool = await create();
      expect(await spool.batch(10)).toBeUndefined();
    });

    it('returns the same batch until it is accepted', async () => {
      const spool = await create();
      await spool.add(samples(5));
      const first = await spool.batch(3);
      await spool.add(samples(5, 100));
      const again = await spool.batch(3);
      const larger = await spool.batch(50);
      expect(again?.batchId).toBe(first?.batchId);
      expect(larger?.batchId).toBe(first?.batchId);
      expect(values(again?.samples)).toEqual([0, 1, 2]);
      expect(values(larger?.samples)).toEqual([0, 1, 2]);

      await spool.accept(first!.batchId);
      const next = await spool.batch(3);
      expect(next?.batchId).not.toBe(first?.batchId);
      expect(values(next?.samples)).toEqual([3, 4, 100]);
    });

    it('hands out every sample once, in order, in batches of at most maxSamples', async () => {
      const spool = await create();
      await spool.add(samples(4));
      await spool.add(samples(3, 4));
      const seen: number[] = [];
      for (let b = await spool.batch(3); b; b = await spool.batch(3)) {
        expect(b.samples.length).toBeLessThanOrEqual(3);
        seen.push(...values(b.samples)!);
        await spool.accept(b.batchId);
      }
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(spool.stats()).toMatchObject({ pendingSamples: 0, inFlightSamples: 0, added: 7, accepted: 7 });
    });

    it('moves past a rejected batch and counts its samples', async () => {
      const spool = await create();
      await spool.add(samples(4));
      const bad = await spool.batch(2);
      await spool.reject(bad!.batchId, '400 invalid_input: samples.0.value');
      const next = await spool.batch(2);
      expect(values(next?.samples)).toEqual([2, 3]);
      expect(spool.stats()).toMatchObject({ rejected: 2, accepted: 0, pendingSamples: 2, inFlightSamples: 2 });
    });

    it('ignores accepting or rejecting an id that is not the open batch', async () => {
      const spool = await create();
      await spool.add(samples(2));
      const open = await spool.batch(2);
      await spool.accept('not-a-batch');
      await spool.reject('not-a-batch', 'x');
      expect((await spool.batch(2))?.batchId).toBe(open?.batchId);
      await spool.accept(open!.batchId);
      await spool.accept(open!.batchId);
      expect(spool.stats()).toMatchObject({ accepted: 2, rejected: 0, pendingSamples: 0 });
    });

    it('returns samples exactly as added: labels, fractions, negatives, large timestamps', async () => {
      const spool = await create();
      const odd: Sample[] = [
        { metric: 'disk_used_bytes', ts: 1_800_000_000_123, value: 1.5e12, labels: { mount: '/', fs: 'ext4' } },
        { metric: 'temp_celsius', ts: 1_800_000_000_124, value: -12.375, labels: { sensor: 'é ✓ "quoted"' } },
        { metric: 'x', ts: 1_800_000_000_125, value: 0 },
      ];
      await spool.add(odd);
      expect((await spool.batch(10))?.samples).toEqual(odd);
    });

    it('keeps order when adds and batches are called without waiting for each other', async () => {
      const spool = await create();
      const adds = Array.from({ length: 20 }, (_, i) => spool.add(samples(5, i * 5)));
      const first = spool.batch(7);
      await Promise.all(adds);
      const seen: number[] = [];
      expect((await first)?.samples.length).toBeGreaterThan(0);
      for (let b = await spool.batch(7); b; b = await spool.batch(7)) {
        seen.push(...values(b.samples)!);
        await spool.accept(b.batchId);
      }
      expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
    });

    it('treats an empty add as nothing and refuses a non-positive batch size', async () => {
      const spool = await create();
      await spool.add([]);
      expect(spool.stats()).toMatchObject({ pendingSamples: 0, added: 0 });
      await spool.add(samples(1));
      await expect(spool.batch(0)).rejects.toThrow(RangeError);
    });

    it('gives batch ids the Worker accepts, unique across spools', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const spool = await create();
        for (let j = 0; j < 3; j++) {
          await spool.add(samples(1, j));
          const b = await spool.batch(10);
          expect(wireBatchId.safeParse(b!.batchId).success, b!.batchId).toBe(true);
          ids.add(b!.batchId);
          await spool.accept(b!.batchId);
        }
      }
      expect(ids.size).toBe(9);
    });
  });
}
