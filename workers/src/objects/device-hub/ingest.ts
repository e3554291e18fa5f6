import type { IngestAck } from '../../../../schema/wire/ingest.ts';
import type { CompactBatch } from '../../services/ingest/compact.ts';
import { batchConflict, toRefusal, type IngestRefusal } from '../../services/ingest/refusals.ts';
import { log } from '../../services/log.ts';
import { sampleSubject } from '../../services/streams/subjects.ts';
import { publishHubFor } from '../../services/streams/routing.ts';
import { batchSeen, recordBatch, type BatchSeen } from './batches.ts';
import { detectBatchEvents } from './events.ts';
import type { DeviceIdentity } from './identity.ts';
import { appendSamples, getSeen, setSeen, type SeriesRow } from './store.ts';

/** The pieces of `DeviceHub.ingest` that need no object state beyond its SQLite and env. */

export type IngestResult =
  | { status: 'ok'; ack: IngestAck }
  | { status: 'unauthorized' }
  /** Over the device's ingest rate: nothing stored; send it again after `retryAfterSeconds`. */
  | { status: 'rate_limited'; retryAfterSeconds: number; perMinute: number }
  /** Refused for good (a reused batch id, the series limit): nothing stored; see `refusalError`. */
  | { status: 'refused'; refusal: IngestRefusal };

/**
 * A batch's writes: its id and hash, samples, latest values, dirty minutes, last-seen and the
 * events it causes. Run inside one transaction, so a batch is stored whole or not at all.
 */
export function storeBatch(
  sql: SqlStorage,
  batch: CompactBatch,
  hash: { canonical: string; legacy: readonly string[] },
  rows: SeriesRow[],
  now: number,
  windowMs: number,
): { seen: BatchSeen; eventsQueued: boolean } {
  // Checked again: another request may have stored this id while the caller awaited D1.
  const seen = batchSeen(sql, batch.batchId, hash.canonical, hash.legacy);
  if (seen !== 'new') return { seen, eventsQueued: false };
  recordBatch(sql, batch.batchId, hash.canonical, batch.ts.length, now);
  const sid = new Float64Array(batch.ts.length);
  for (let i = 0; i < sid.length; i++) sid[i] = rows[batch.seriesIndex[i]!]!.sid;
  appendSamples(sql, { sid, ts: batch.ts, value: batch.values });
  const last = getSeen(sql);
  const eventsQueued = detectBatchEvents(sql, batch, now, last?.lastSeenAt ?? null, windowMs);
  setSeen(sql, {
    lastSeenAt: now,
    agentVersion: batch.agent?.version ?? last?.agentVersion ?? null,
  });
  return { seen, eventsQueued };
}

/** The answer for a batch id stored before: the same samples again, or other ones under its id. */
export function seenAnswer(batchId: string, seen: Exclude<BatchSeen, 'new'>): IngestResult {
  if (seen === 'conflict') return { status: 'refused', refusal: toRefusal(batchConflict(batchId)) };
  return { status: 'ok', ack: { batchId, accepted: 0, duplicate: true } };
}

/**
 * Sends a stored batch to the org's live subscribers. Best effort, after the reply: the batch
 * is already durable and the device must not wait on viewers.
 */
export function publishBatch(
  env: Env,
  ctx: DurableObjectState,
  identity: DeviceIdentity,
  batch: CompactBatch,
  rows: SeriesRow[],
): void {
  // Each series' fields once; the points go as the batch's own columns.
  const series = batch.series.map((s, i) => ({
    subject: sampleSubject(identity.orgId, identity.siteId, identity.deviceId, s.metric),
    seriesId: rows[i]!.seriesId,
    deviceId: identity.deviceId,
    metric: s.metric,
    labels: s.labels ?? {},
  }));
  ctx.waitUntil(
    publishHubFor(env, identity.orgId, identity.deviceId)
      .publish({ series, index: batch.seriesIndex, ts: batch.ts, values: batch.values })
      .catch((err: unknown) => log.warn('publish failed', { deviceId: identity.deviceId, error: String(err) })),
  );
}
