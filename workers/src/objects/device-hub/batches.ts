import type { Sample } from '../../../../schema/wire/ingest.ts';
import { sha256Hex } from '../../services/credentials/crypto.ts';

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
  const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('batches')").toArray();
  if (!columns.some((c) => c.name === 'hash')) sql.exec('ALTER TABLE batches ADD COLUMN hash TEXT');
}

/**
 * SHA-256 of the batch's samples in a canonical form (labels sorted by name), so the same
 * samples hash the same whatever the key order of the JSON they came in.
 */
export async function batchHash(samples: readonly Sample[]): Promise<string> {
  const canonical = samples.map((s) => [
    s.metric,
    s.ts,
    s.value,
    Object.entries(s.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
  return sha256Hex(JSON.stringify(canonical));
}

export function batchSeen(sql: SqlStorage, batchId: string, hash: string): BatchSeen {
  const row = sql.exec<{ hash: string | null }>('SELECT hash FROM batches WHERE id = ?', batchId).toArray()[0];
  if (!row) return 'new';
  // Ids stored before hashes were kept have none: they stay plain duplicates, as they were answered then.
  return row.hash === null || row.hash === hash ? 'duplicate' : 'conflict';
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
