import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { metricName } from '../../../../schema/wire/ingest.ts';
import { historySources } from '../../../../schema/wire/history.ts';
import { db, schema } from '../../db.ts';
import { idList } from '../http/query-schemas.ts';
import { queryTime } from '../history/time-query.ts';
import { inIdOrder, inJsonList } from '../history/series.ts';

export const exportFormats = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** `full` repeats the series' fields on every row; `compact` gives them once per series (NDJSON only). */
export const exportRowForms = ['full', 'compact'] as const;
export type ExportRows = (typeof exportRowForms)[number];

/** What to export: named series, or a device's series (of one metric when given). */
export type ExportTarget = { series: string[] } | { device: string; metric: string | undefined };

/** Query of `GET /v1/export`: `series=` or `device=` (optionally narrowed by `metric=`), and a range. */
export const exportQuery = z
  .strictObject({
    series: idList('series', 100).optional(),
    device: z.string().min(1).max(100).optional(),
    metric: metricName.optional(),
    from: queryTime,
    to: queryTime.optional(),
    format: z.enum(exportFormats).default('ndjson'),
    source: z.enum(historySources).default('raw'),
    rows: z
      .enum(exportRowForms)
      .default('full')
      .describe(
        '`compact` (NDJSON only): each series once as a header object on its own line, then its rows as arrays, `[ts,value]` or `[ts,count,sum,min,max,last]`',
      ),
  })
  .transform((q, ctx) => {
    const { series, device, metric, to, ...rest } = q;
    let target: ExportTarget;
    if (series !== undefined && device === undefined && metric === undefined) target = { series };
    else if (series === undefined && device !== undefined) target = { device, metric };
    else {
      const path = series !== undefined && device === undefined ? 'metric' : 'series';
      const message =
        path === 'metric' ? 'metric narrows a device=… export, not a series=… one' : 'give either series=… or device=…';
      ctx.addIssue({ code: 'custom', path: [path], message });
      return z.NEVER;
    }
    return { ...rest, target, to: to ?? Date.now() };
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.rows === 'full' || q.format === 'ndjson', {
    message: 'rows=compact is an NDJSON form: use format=ndjson',
    path: ['rows'],
  });
export type ExportQuery = z.infer<typeof exportQuery>;

/** A series as exported: every row carries these. */
export interface ExportSeries {
  id: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
}

const exportColumns = {
  id: schema.series.id,
  deviceId: schema.series.deviceId,
  metric: schema.series.metric,
  labels: schema.series.labels,
};

/** The series named by id, in the order given; one outside the org is a 404 like a missing one. */
export async function namedSeries(d1: D1Database, orgId: string, ids: readonly string[]): Promise<ExportSeries[]> {
  const t = schema.series;
  const results = await db(d1)
    .select(exportColumns)
    .from(t)
    .where(and(eq(t.orgId, orgId), inJsonList(t.id, ids)))
    .all();
  return inIdOrder(ids, results);
}

/** A device's series (optionally of one metric) in (metric, labels, id) order. */
export async function deviceSeries(
  d1: D1Database,
  orgId: string,
  deviceId: string,
  metric: string | undefined,
): Promise<ExportSeries[]> {
  const t = schema.series;
  return db(d1)
    .select(exportColumns)
    .from(t)
    .where(and(eq(t.orgId, orgId), eq(t.deviceId, deviceId), metric === undefined ? undefined : eq(t.metric, metric)))
    .orderBy(asc(t.metric), asc(t.labels), asc(t.id))
    .all();
}
