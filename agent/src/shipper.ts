import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { Logger } from './log.ts';
import type { Spool } from './spool/types.ts';
import type { Transport } from './transports/types.ts';

/** Default samples per batch: well under the Worker's default cap of 5 000. */
export const DEFAULT_BATCH_SAMPLES = 1_000;

export interface ShipperOptions {
  spool: Spool;
  transport: Transport;
  log: Logger;
  /** Most samples per batch. Default {@link DEFAULT_BATCH_SAMPLES}. */
  maxSamples?: number;
  /** Retry backoff (base 1 s, cap 60 s, full jitter). */
  backoff?: BackoffOptions;
  /**
   * After waking from idle, how long to wait for more samples before cutting a batch, so the
   * collectors of one tick share one request. Default 250 ms.
   */
  lingerMs?: number;
  /** Waits `ms`, resolving early when `signal` aborts. Injectable so tests need not wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Counters since start, for self-metrics and `edgewatch-agent status`. */
export interface ShipperStats {
  /** Batches the server acknowledged (duplicates included: they are stored). */
  batchesShipped: number;
  samplesShipped: number;
  /** Batches the server refused for good and the spool set aside. */
  batchesRejected: number;
  /** Send attempts that failed (retryable or permanent) and spool errors while shipping. */
  shipErrors: number;
  /** Epoch ms of the last acknowledged batch. */
  lastShipAt?: number;
  /** How long the last acknowledged send took, request to ack. */
  lastLatencyMs?: number;
  /** The last failure, whatever came after it. */
  lastError?: { at: number; message: string };
}

/** Moves batches from a spool to a transport, one at a time, in order. */
export interface Shipper {
  /** Starts the loop. It idles while the spool is empty until `notify()`. */
  start(): void;
  /** Tells an idle loop that samples were added. Cheap; call after every `spool.add`. */
  notify(): void;
  /**
   * Ships what is pending for up to `flushMs` (default 5 000; 0 stops at once), aborting any
   * send or backoff still running at the deadline, then stops. `flushed` is true when
   * nothing was left in the spool.
   */
  stop(options?: { flushMs?: number }): Promise<{ flushed: boolean }>;
  stats(): ShipperStats;
}

/**
 * Creates the shipping loop: `spool.batch()` → `transport.send()`; on `ok` the batch is
 * accepted, on `permanent` it is logged and rejected, on `retryable` the same batch is sent
 * again after the server's `Retry-After` or an exponential backoff with full jitter.
 */
export function createShipper(options: ShipperOptions): Shipper {
  const { spool, transport, log } = options;
  const maxSamples = options.maxSamples ?? DEFAULT_BATCH_SAMPLES;
  const lingerMs = options.lingerMs ?? 250;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined));
  const hard = new AbortController();
  let draining = false;
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;
  const stats: ShipperStats = { batchesShipped: 0, samplesShipped: 0, batchesRejected: 0, shipErrors: 0 };
  const failed = (message: string) => {
    stats.shipErrors += 1;
    stats.lastError = { at: Date.now(), message };
  };

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  async function loop(): Promise<void> {
    let attempt = 0;
    while (!hard.signal.aborted) {
      let delayMs = 0;
      try {
        const batch = await spool.batch(maxSamples);
        if (!batch) {
          if (draining) return;
          await new Promise<void>((resolve) => (wake = resolve));
          if (!draining && lingerMs > 0) await sleep(lingerMs, hard.signal);
          continue;
        }
        const sentAt = performance.now();
        const result = await transport.send(batch, { signal: hard.signal });
        const fields = { batchId: batch.batchId, samples: batch.samples.length };
        if (result.kind === 'ok') {
          stats.lastLatencyMs = performance.now() - sentAt;
          await spool.accept(batch.batchId);
          stats.batchesShipped += 1;
          stats.samplesShipped += batch.samples.length;
          stats.lastShipAt = Date.now();
          attempt = 0;
          log.debug('batch shipped', { ...fields, accepted: result.ack.accepted, duplicate: result.ack.duplicate });
          continue;
        }
        if (result.kind === 'permanent') {
          log.error('batch refused by the server; setting it aside', {
            ...fields,
            status: result.status,
            reason: result.reason,
          });
          failed(result.reason);
          await spool.reject(batch.batchId, result.reason);
          stats.batchesRejected += 1;
          attempt = 0;
          continue;
        }
        if (hard.signal.aborted) return;
        failed(result.reason);
        delayMs = result.retryAfterMs ?? backoffDelay(attempt, options.backoff);
        attempt += 1;
        log.warn('batch not shipped; will retry', {
          ...fields,
          status: result.status,
          reason: result.reason,
          attempt,
          delayMs,
        });
      } catch (err) {
        // A spool I/O failure: back off rather than spin, and keep the loop alive.
        failed(err instanceof Error ? err.message : String(err));
        delayMs = backoffDelay(attempt, options.backoff);
        attempt += 1;
        log.error('shipping failed', { err, attempt, delayMs });
      }
      await sleep(delayMs, hard.signal);
    }
  }

  return {
    start() {
      running ??= loop();
    },
    notify,
    async stop({ flushMs = 5_000 } = {}) {
      draining = true;
      notify();
      const timer = setTimeout(() => hard.abort(), flushMs);
      try {
        await running;
      } finally {
        clearTimeout(timer);
        hard.abort();
      }
      return { flushed: spool.stats().pendingSamples === 0 };
    },
    stats: () => ({ ...stats }),
  };
}
