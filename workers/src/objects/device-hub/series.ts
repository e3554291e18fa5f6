import type { Sample } from '../../../../schema/wire/ingest.ts';
import { seriesId, seriesKey } from '../../services/ingest/series-key.ts';
import { findSeries, insertSeries, type SeriesRow } from './store.ts';

/**
 * Maps a batch's samples to the DeviceHub's local series rows. A series seen for the first
 * time is registered in D1 (one `json_each` statement for all the batch's new series) before
 * the local row exists, so every local series is known to the read API.
 */
export class SeriesResolver {
  private readonly sql: SqlStorage;
  private readonly d1: D1Database;
  private readonly cache = new Map<string, SeriesRow>();

  constructor(sql: SqlStorage, d1: D1Database) {
    this.sql = sql;
    this.d1 = d1;
  }

  async resolve(device: { deviceId: string; orgId: string }, samples: readonly Sample[]): Promise<SeriesRow[]> {
    const keys = samples.map((s) => seriesKey(s.metric, s.labels));
    const fresh = new Map<string, { key: string; seriesId: string; metric: string; labels: Record<string, string> }>();
    for (const [i, key] of keys.entries()) {
      if (this.known(key) || fresh.has(key)) continue;
      const s = samples[i]!;
      fresh.set(key, { key, seriesId: await seriesId(device.deviceId, key), metric: s.metric, labels: s.labels ?? {} });
    }
    if (fresh.size > 0) {
      const list = [...fresh.values()];
      await this.d1
        .prepare(
          `INSERT INTO series (id, org_id, device_id, metric, labels, created_at)
           SELECT value ->> 'seriesId', ?1, ?2, value ->> 'metric', value -> 'labels', ?3 FROM json_each(?4) WHERE true
           ON CONFLICT (id) DO NOTHING`,
        )
        .bind(device.orgId, device.deviceId, Date.now(), JSON.stringify(list))
        .run();
      for (const s of list) this.cache.set(s.key, insertSeries(this.sql, s));
    }
    return keys.map((k) => this.cache.get(k)!);
  }

  /** Drops one series from the cache (it was deleted). */
  forget(seriesId: string): void {
    for (const [key, row] of this.cache) if (row.seriesId === seriesId) this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }

  private known(key: string): boolean {
    if (this.cache.has(key)) return true;
    const row = findSeries(this.sql, key);
    if (row) this.cache.set(key, row);
    return !!row;
  }
}
