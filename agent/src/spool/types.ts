import type { Sample } from '../../../schema/wire/ingest.ts';

/** A set of samples shipped, and acknowledged, as one unit under one id. */
export interface Batch {
  /** Globally unique and stable: a retried batch keeps its id, so the Worker stores it once. */
  readonly batchId: string;
  readonly samples: readonly Sample[];
}

/** Counters for logs and status output. */
export interface SpoolStats {
  /** Samples waiting, including those in the open (unacknowledged) batch. */
  pendingSamples: number;
  /** Samples in the open batch, 0 when none is open. */
  inFlightSamples: number;
  added: number;
  accepted: number;
  /** Samples in batches the Worker refused for good. */
  rejected: number;
  /** Oldest samples dropped because the spool was full. */
  dropped: number;
  /** Bytes the spool's files take on disk (the disk spool; absent for the memory spool). */
  bytes?: number;
}

/**
 * An ordered queue of samples between the collectors and a transport.
 *
 * `batch()` hands out the oldest pending samples as a batch and keeps returning that same
 * batch (same id, same samples) until it is `accept`ed or `reject`ed, so at most one batch is
 * open at a time and retries are exact repeats. A memory and a disk implementation share this
 * contract and one test suite.
 */
export interface Spool {
  /** Appends samples in order. When full, the oldest pending samples are dropped and counted. */
  add(samples: readonly Sample[]): Promise<void>;
  /** The open batch, or a new one of at most `maxSamples` oldest samples; undefined when empty. */
  batch(maxSamples: number): Promise<Batch | undefined>;
  /** The Worker stored the batch: forget it. Unknown or already-settled ids are ignored. */
  accept(batchId: string): Promise<void>;
  /** The Worker refused the batch for good: set it aside (counted) and move on. */
  reject(batchId: string, reason: string): Promise<void>;
  stats(): SpoolStats;
  /** Releases files (the disk spool); what is pending stays for the next start. */
  close?(): Promise<void>;
}
