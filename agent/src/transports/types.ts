import type { IngestAck } from '../../../schema/wire/ingest.ts';
import type { Batch } from '../spool/types.ts';

/** Outcome of one send attempt. The shipper acts on `kind`; nothing is thrown for HTTP failures. */
export type SendResult =
  /** The Worker stored the batch (or already had it: `ack.duplicate`). */
  | { kind: 'ok'; ack: IngestAck }
  /**
   * Worth sending again later: network error, timeout, 5xx, 408, 429. `retryAfterMs` is the
   * server's `Retry-After`, when it gave one.
   */
  | { kind: 'retryable'; reason: string; status?: number; retryAfterMs?: number }
  /** The Worker refused this batch for good (a 4xx other than 408/429): resending cannot help. */
  | { kind: 'permanent'; reason: string; status: number; code?: string };

export interface SendOptions {
  /** Aborts the attempt (e.g. at the end of a shutdown flush); the result is then retryable. */
  signal?: AbortSignal;
}

/** A way to ship batches to the Worker (HTTPS now; MQTT over WebSocket later). */
export interface Transport {
  /** Short name for logs, e.g. `https`. */
  readonly name: string;
  /** Prepares the transport (opens a connection where it has one). Safe to call again. */
  connect(): Promise<void>;
  /** Sends one batch and reports what to do with it. */
  send(batch: Batch, options?: SendOptions): Promise<SendResult>;
  /** Releases connections. */
  close(): Promise<void>;
}
