import { and, asc, eq, gt, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { HistorySource } from '../../../../schema/wire/history.ts';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
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
 * The org's series with these ids, in the order asked, and the org's retention: one statement,
 * since every history and stats read needs both before it can plan. A missing id, or one of
 * another org, is a 404 naming it: the two are indistinguishable.
 */
export async function orgSeriesAndRetention(
  d1: D1Database,
  orgId: string,
  ids: readonly string[],
): Promise<{ series: SeriesInfo[]; retention: Retention }> {
  const t = schema.series;
  const o = schema.organisations;
  const rows = await db(d1)
    .select({
      retention: {
        raw: o.rawRetentionDays,
        '1m': o.rollup1mRetentionDays,
        '1h': o.rollup1hRetentionDays,
        '1d': o.rollup1dRetentionDays,
      },
      series: { id: t.id, deviceId: t.deviceId, metric: t.metric, labels: t.labels },
    })
    .from(o)
    .leftJoin(t, and(eq(t.orgId, o.id), inJsonList(t.id, ids)))
    .where(eq(o.id, orgId))
    .all();
  const first = rows[0];
  if (!first) throw notFound(`organisation "${orgId}"`);
  const found = rows.flatMap((r) => (r.series ? [r.series] : []));
  return { series: inIdOrder(ids, found), retention: first.retention satisfies Record<HistorySource, number | null> };
}

/** `column IN (ids)` with one JSON parameter however many ids: D1 binds at most 100 parameters. */
export const inJsonList = (column: SQLiteColumn, ids: readonly string[]) =>
  inArray(column, sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`);

/** The series rows in the order of `ids`; a missing id (or another org's) is a 404 naming it. */
export function inIdOrder<T extends { id: string }>(ids: readonly string[], rows: readonly T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
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
  const t = schema.series;
  const conditions: (SQL | undefined)[] = [eq(t.orgId, orgId)];
  if (f.metric?.prefix) {
    // A range on the (org_id, metric) index; metric names are ASCII, so U+FFFF sorts after them all.
    conditions.push(gte(t.metric, f.metric.name), lt(t.metric, `${f.metric.name}\uffff`));
  } else if (f.metric) {
    conditions.push(eq(t.metric, f.metric.name));
  }
  if (f.deviceId !== undefined) conditions.push(eq(t.deviceId, f.deviceId));
  for (const [name, value] of Object.entries(f.labels)) conditions.push(sql`${t.labels} ->> ${`$.${name}`} = ${value}`);
  if (f.after) conditions.push(gt(sql`(${t.metric}, ${t.id})`, sql`(${f.after.metric}, ${f.after.id})`));
  return db(d1)
    .select({ id: t.id, deviceId: t.deviceId, metric: t.metric, labels: t.labels, createdAt: t.createdAt })
    .from(t)
    .where(and(...conditions))
    .orderBy(asc(t.metric), asc(t.id))
    .limit(f.limit + 1);
}
