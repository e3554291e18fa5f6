import type { GroupedIngestBatch, IngestBatch } from '../../../schema/wire/ingest.ts';
import type { Batch } from './types.ts';

/**
 * The body a transport sends for a batch: the series-grouped form, each series once with its
 * points in spool order. It is smaller than one object per sample (a host report repeats a
 * few dozen series), and the Worker checks it with less work. A retry builds the same body,
 * and the Worker recognises the batch in either form, so batches spooled by an older agent
 * are acknowledged as duplicates whichever form first reached it.
 */
export function ingestBody(batch: Batch, agent?: IngestBatch['agent']): GroupedIngestBatch {
  const bySeries = new Map<string, GroupedIngestBatch['series'][number]>();
  for (const s of batch.samples) {
    const key = s.labels ? `${s.metric}\u0000${JSON.stringify(Object.entries(s.labels).sort())}` : s.metric;
    let entry = bySeries.get(key);
    if (!entry) {
      entry = { metric: s.metric, ...(s.labels ? { labels: s.labels } : {}), points: [] };
      bySeries.set(key, entry);
    }
    entry.points.push([s.ts, s.value]);
  }
  return { batchId: batch.batchId, series: [...bySeries.values()], ...(agent ? { agent } : {}) };
}
