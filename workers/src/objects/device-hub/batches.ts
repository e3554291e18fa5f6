import { isLegacyHash } from '../../services/ingest/compact.ts';
import { addColumnIfMissing } from '../sqlite-columns.ts';

/**
 * Batch ids the DeviceHub has stored, each with a hash of its samples, so a retry of the same
 * batch is told apart from a different batch that reuses its id.
 */

/** Batch ids are remembered this long for deduplication of retries. */
const BATCH_ID_TTL_MS = 7 * 24 * 3600 * 1000;
/** Expired ids deleted per alarm run, so one run stays short. */
const PRUNE_CHUNK = 1000;

/** What a batch id means to this device: never seen, a retry of the stored batch, or a reuse. */
export type BatchSeen = 'new' | 'duplicate' | 'conflict';

/** Adds the hash column to a table created before it existed. */
export function migrateBatches(sql: SqlStorage): void {
  addColumnIfMissing(sql, 'batches', 'hash', 'TEXT');
}

/**
 * Whether `batchId` was stored before, and with the same samples. `hash` is the batch's
 * canonical hash (`batchHash`); ids stored before it existed hold the older, order-bound hash,
 * compared with `legacy` (`legacyHashes`), which the caller computes only when `storedHash`
 * says it is needed.
 */
export function batchSeen(sql: SqlStorage, batchId: string, hash: string, legacy: readonly string[] = []): BatchSeen {
  return judgeStored(storedHash(sql, batchId), hash, legacy);
}

/** `batchSeen` for a stored hash already read (`storedHash`). */
export function judgeStored(stored: string | null | undefined, hash: string, legacy: readonly string[]): BatchSeen {
  if (stored === undefined) return 'new';
  // Ids stored before hashes were kept have none: they stay plain duplicates, as they were answered then.
  if (stored === null || stored === hash) return 'duplicate';
  return isLegacyHash(stored) && legacy.includes(stored) ? 'duplicate' : 'conflict';
}

/** The hash stored with a batch id: undefined for an unknown id, null for one stored before hashes. */
export function storedHash(sql: SqlStorage, batchId: string): string | null | undefined {
  const row = sql.exec<{ hash: string | null }>('SELECT hash FROM batches WHERE id = ?', batchId).toArray()[0];
  return row ? row.hash : undefined;
}

export function recordBatch(sql: SqlStorage, batchId: string, hash: string, samples: number, now: number): void {
  sql.exec('INSERT INTO batches (id, received_at, samples, hash) VALUES (?, ?, ?, ?)', batchId, now, samples, hash);
}

/** Forgets ids older than the retention of batch ids, a bounded chunk at a time. */
export function pruneBatches(sql: SqlStorage, now: number): void {
  sql.exec(
    'DELETE FROM batches WHERE id IN (SELECT id FROM batches WHERE received_at < ? LIMIT ?)',
    now - BATCH_ID_TTL_MS,
    PRUNE_CHUNK,
  );
}
