import type { Logger } from '../log.ts';
import type { Spool, SpoolStats } from './types.ts';

/**
 * When data reaches the disk rather than the page cache. Every policy survives a kill -9 (the
 * kernel keeps written pages); they differ on power loss.
 * - `always`: fdatasync after every `add`: nothing acknowledged is lost.
 * - `batch`: fdatasync before a batch is handed out and every `syncIntervalMs`: at most that
 *   long of samples is lost.
 * - `never`: the kernel decides (typically within 30 s).
 */
export type FsyncPolicy = 'always' | 'batch' | 'never';

export interface DiskSpoolOptions {
  /** Directory of the spool; created if missing. One spool per directory, one process at a time. */
  dir: string;
  /**
   * Bound on the bytes of all spool files (segments and `spool-state.json`), checked whenever a call
   * returns. Default {@link DEFAULT_DISK_SPOOL_BYTES}. See {@link createDiskSpool} for the exact bound.
   */
  maxBytes?: number;
  /** Default `batch`. */
  fsync?: FsyncPolicy;
  log?: Logger;
  /** Target segment size, the unit in which a full spool drops. Default maxBytes/16, 1 KiB–4 MiB. */
  segmentBytes?: number;
  /** Period of the `batch` policy's background sync. Default 1 000 ms. */
  syncIntervalMs?: number;
}

/** Default byte bound: about 700 000 samples, most of a day for a host sending 100 every 10 s. */
export const DEFAULT_DISK_SPOOL_BYTES = 64 * 1024 * 1024;

export interface DiskSpoolStats extends SpoolStats {
  /** Bytes of the spool's files now. */
  bytes: number;
  segments: number;
  openBatchId: string | null;
  /** Bytes cut from torn or corrupt segment tails when this spool was opened. */
  cutBytes: number;
}

/** The disk spool: the {@link Spool} contract plus durability controls. */
export interface DiskSpool extends Spool {
  readonly dir: string;
  /**
   * `accepted`, `rejected` and `dropped` persist across restarts; `added` counts this process.
   */
  stats(): DiskSpoolStats;
  /** Forces everything written so far to disk, whatever the policy. */
  flush(): Promise<void>;
  /** Flushes (unless the policy is `never`) and releases files; later calls reject. */
  close(): Promise<void>;
}

/** Options with their defaults applied, checked. */
export function resolveOptions(options: DiskSpoolOptions) {
  const maxBytes = options.maxBytes ?? DEFAULT_DISK_SPOOL_BYTES;
  const segmentBytes = options.segmentBytes ?? Math.min(4 << 20, Math.max(1024, Math.floor(maxBytes / 16)));
  const policy = options.fsync ?? 'batch';
  const syncIntervalMs = options.syncIntervalMs ?? 1_000;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 4096) {
    throw new RangeError(`maxBytes must be an integer of at least 4096, got ${maxBytes}`);
  }
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 256 || segmentBytes > maxBytes / 2) {
    throw new RangeError(`segmentBytes must be an integer from 256 to maxBytes/2, got ${segmentBytes}`);
  }
  if (!['always', 'batch', 'never'].includes(policy)) {
    throw new RangeError(`fsync must be always, batch or never, got ${policy}`);
  }
  if (!(syncIntervalMs > 0)) throw new RangeError(`syncIntervalMs must be positive, got ${syncIntervalMs}`);
  return { maxBytes, segmentBytes, policy, syncIntervalMs };
}
