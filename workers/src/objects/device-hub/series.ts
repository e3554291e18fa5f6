import { sql } from 'drizzle-orm';
import { bare, schema, statement } from '../../db.ts';
import type { CompactSeries } from '../../services/ingest/compact.ts';
import { seriesId } from '../../services/ingest/series-key.ts';
import { findSeries, insertSeries, type SeriesRow } from './store.ts';

/** The row of each of the batch's series, or the first series that would pass the device's limit. */
export type Resolved = { ok: true; rows: SeriesRow[] } | { ok: false; overLimit: CompactSeries };

type NewSeries = { key: string; seriesId: string; metric: string; labels: Record<string, string> };

/**
 * Maps a batch's series to the DeviceHub's local series rows. A series seen for the first
 * time is registered in D1 (one `json_each` statement for all the batch's new series) before
 * the local row exists, so every local series is known to the read API.
 */
export class SeriesResolver {
  private readonly sql: SqlStorage;
  private readonly d1: D1Database;
  private readonly cache = new Map<string, SeriesRow>();
  /** New series of batches still registering in D1: counted against the limit, so two concurrent batches cannot both pass it. */
  private registering = 0;

  constructor(sql: SqlStorage, d1: D1Database) {
    this.sql = sql;
    this.d1 = d1;
  }

  /**
   * Resolves each of the batch's distinct series (in order of first appearance), registering
   * new ones, unless the batch would bring the device past `limit` series: then nothing is
   * registered. While other batches register, their new series count as taken, which may
   * refuse a batch that shares them near the limit.
   */
  async resolve(
    device: { deviceId: string; orgId: string },
    series: readonly CompactSeries[],
    limit: number,
  ): Promise<Resolved> {
    const fresh: NewSeries[] = [];
    const freshAt: number[] = [];
    for (const [i, s] of series.entries()) {
      if (this.known(s.key)) continue;
      fresh.push({ key: s.key, seriesId: '', metric: s.metric, labels: s.labels ?? {} });
      freshAt.push(i);
    }
    if (fresh.length > 0) {
      let nums = new Map<string, number>();
      const room = limit - this.count() - this.registering;
      if (fresh.length > room) return { ok: false, overLimit: series[freshAt[Math.max(0, room)]!]! };
      this.registering += fresh.length;
      try {
        for (const s of fresh) s.seriesId = await seriesId(device.deviceId, s.key);
        nums = await this.register(device, fresh);
      } finally {
        this.registering -= fresh.length;
      }
      for (const s of fresh) {
        const row = insertSeries(this.sql, s);
        this.sql.exec('UPDATE series SET num = ? WHERE sid = ?', nums.get(s.seriesId) ?? null, row.sid);
        this.cache.set(s.key, row);
      }
    }
    return { ok: true, rows: series.map((s) => this.cache.get(s.key)!) };
  }

  /** Drops one series from the cache (it was deleted). */
  forget(seriesId: string): void {
    for (const [key, row] of this.cache) if (row.seriesId === seriesId) this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }

  /**
   * Registers the series in D1 and returns their integer ids (`series.num`, which D1's rollup
   * rows key on): the next free numbers for new rows, the stored ones for rows already there.
   */
  private async register(device: { deviceId: string; orgId: string }, list: NewSeries[]): Promise<Map<string, number>> {
    const t = schema.series;
    const json = JSON.stringify(list);
    const [, found] = await this.d1.batch([
      statement(
        this.d1,
        sql`INSERT INTO ${t} (${bare(t.id)}, ${bare(t.num)}, ${bare(t.orgId)}, ${bare(t.deviceId)}, ${bare(t.metric)},
          ${bare(t.labels)}, ${bare(t.createdAt)})
        SELECT value ->> 'seriesId', (SELECT COALESCE(MAX(${bare(t.num)}), 0) FROM ${t}) + 1 + key, ${device.orgId},
          ${device.deviceId}, value ->> 'metric', value -> 'labels', ${Date.now()}
        FROM json_each(${json}) WHERE true
        ON CONFLICT (${bare(t.id)}) DO NOTHING`,
      ),
      statement(
        this.d1,
        sql`SELECT ${bare(t.id)} AS id, ${bare(t.num)} AS num FROM ${t}
          WHERE ${bare(t.id)} IN (SELECT value ->> 'seriesId' FROM json_each(${json}))`,
      ),
    ]);
    return new Map((found!.results as { id: string; num: number }[]).map((r) => [r.id, r.num]));
  }

  private count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM series').one().n;
  }

  private known(key: string): boolean {
    if (this.cache.has(key)) return true;
    const row = findSeries(this.sql, key);
    if (row) this.cache.set(key, row);
    return !!row;
  }
}
