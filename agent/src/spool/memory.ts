import { randomBytes } from 'node:crypto';
import type { Sample } from '../../../schema/wire/ingest.ts';
import type { Batch, Spool, SpoolStats } from './types.ts';

export interface MemorySpoolOptions {
  /** Most samples held (open batch included) before the oldest are dropped. Default 100 000. */
  maxSamples?: number;
}

/** Default bound of the memory spool: about 20 minutes of a busy host at a 10 s interval. */
export const DEFAULT_MEMORY_SPOOL_SAMPLES = 100_000;

/**
 * A bounded in-memory spool. Nothing survives a restart; it is what the agent uses until the
 * disk spool exists, and the reference for the spool contract.
 */
export function createMemorySpool(options: MemorySpoolOptions = {}): Spool {
  const maxSamples = options.maxSamples ?? DEFAULT_MEMORY_SPOOL_SAMPLES;
  if (!Number.isInteger(maxSamples) || maxSamples < 1) {
    throw new RangeError(`maxSamples must be a positive integer, got ${maxSamples}`);
  }
  // A random prefix per instance keeps ids unique across restarts and hosts without coordination.
  const prefix = randomBytes(8).toString('hex');
  let sequence = 0;
  let queue: Sample[] = [];
  let open: Batch | undefined;
  const counters = { added: 0, accepted: 0, rejected: 0, dropped: 0 };

  const settle = (batchId: string): Batch | undefined => {
    if (!open || open.batchId !== batchId) return undefined;
    const settled = open;
    open = undefined;
    return settled;
  };

  return {
    async add(samples) {
      counters.added += samples.length;
      for (const s of samples) queue.push(s);
      // The open batch may already be stored by the Worker, so only queued samples are dropped.
      const overflow = queue.length + (open?.samples.length ?? 0) - maxSamples;
      if (overflow > 0) {
        const drop = Math.min(overflow, queue.length);
        queue = queue.slice(drop);
        counters.dropped += drop;
      }
    },
    async batch(max) {
      if (open) return open;
      if (queue.length === 0) return undefined;
      if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxSamples must be a positive integer, got ${max}`);
      open = { batchId: `${prefix}-${++sequence}`, samples: queue.slice(0, max) };
      queue = queue.slice(max);
      return open;
    },
    async accept(batchId) {
      const batch = settle(batchId);
      if (batch) counters.accepted += batch.samples.length;
    },
    // A memory spool has nowhere to set a refused batch aside: it is counted and dropped.
    async reject(batchId, _reason) {
      const batch = settle(batchId);
      if (batch) counters.rejected += batch.samples.length;
    },
    stats(): SpoolStats {
      const inFlightSamples = open?.samples.length ?? 0;
      return { pendingSamples: queue.length + inFlightSamples, inFlightSamples, ...counters };
    },
  };
}
