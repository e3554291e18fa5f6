import { and, eq, inArray, sql } from 'drizzle-orm';
import type { HistorySource } from '../../../../schema/wire/history.ts';
import { db, schema } from '../../db.ts';
import { notFound } from '../../errors.ts';
import type { Retention } from './source.ts';

/** The series registry and retention settings as the read API sees them: always within one org. */

export interface SeriesInfo {
  id: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
}

/**
 * The org's series with these ids, in the order asked. A missing id, or one of another org,
 * is a 404 naming it: the two are indistinguishable.
 */
export async function orgSeries(d1: D1Database, orgId: string, ids: readonly string[]): Promise<SeriesInfo[]> {
  const t = schema.series;
  const results = await db(d1)
    .select({ id: t.id, deviceId: t.deviceId, metric: t.metric, labels: t.labels })
    .from(t)
    .where(and(eq(t.orgId, orgId), inArray(t.id, sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`)))
    .all();
  const byId = new Map(results.map((r) => [r.id, r]));
  return ids.map((id) => {
    const r = byId.get(id);
    if (!r) throw notFound(`series "${id}"`);
    return r;
  });
}

/** Series ids per device, so each DeviceHub is asked once. */
export function byDevice(series: readonly SeriesInfo[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const s of series) groups.set(s.deviceId, [...(groups.get(s.deviceId) ?? []), s.id]);
  return groups;
}

/** The org's retention per source, in days. */
export async function orgRetention(d1: D1Database, orgId: string): Promise<Retention> {
  const org = await db(d1).select().from(schema.organisations).where(eq(schema.organisations.id, orgId)).get();
  if (!org) throw notFound(`organisation "${orgId}"`);
  return {
    raw: org.rawRetentionDays,
    '1m': org.rollup1mRetentionDays,
    '1h': org.rollup1hRetentionDays,
    '1d': org.rollup1dRetentionDays,
  } satisfies Record<HistorySource, number | null>;
}

export interface SeriesFilter {
  metric?: { name: string; prefix: boolean } | undefined;
  deviceId?: string | undefined;
  labels: Record<string, string>;
  /** Start after this (metric, id). */
  after?: { metric: string; id: string } | undefined;
  limit: number;
}

export interface SeriesListItem {
  id: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
  createdAt: number;
}

/** One page of the org's series in (metric, id) order; one row more than `limit` tells that more follow. */
export async function searchSeries(d1: D1Database, orgId: string, f: SeriesFilter): Promise<SeriesListItem[]> {
  const where = ['org_id = ?'];
  const params: (string | number)[] = [orgId];
  if (f.metric?.prefix) {
    // A range on the (org_id, metric) index; metric names are ASCII, so U+FFFF sorts after them all.
    where.push('metric >= ? AND metric < ?');
    params.push(f.metric.name, `${f.metric.name}\uffff`);
  } else if (f.metric) {
    where.push('metric = ?');
    params.push(f.metric.name);
  }
  if (f.deviceId !== undefined) {
    where.push('device_id = ?');
    params.push(f.deviceId);
  }
  for (const [name, value] of Object.entries(f.labels)) {
    where.push('labels ->> ? = ?');
    params.push(`$.${name}`, value);
  }
  if (f.after) {
    where.push('(metric, id) > (?, ?)');
    params.push(f.after.metric, f.after.id);
  }
  const { results } = await d1
    .prepare(
      `SELECT id, device_id, metric, labels, created_at FROM series WHERE ${where.join(' AND ')}
       ORDER BY metric, id LIMIT ?`,
    )
    .bind(...params, f.limit + 1)
    .all<{ id: string; device_id: string; metric: string; labels: string; created_at: number }>();
  return results.map((r) => ({
    id: r.id,
    deviceId: r.device_id,
    metric: r.metric,
    labels: JSON.parse(r.labels) as Record<string, string>,
    createdAt: r.created_at,
  }));
}
