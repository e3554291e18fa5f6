import { z } from 'zod';
import { aggregations, historySources } from '../../../../schema/wire/history.ts';
import { stepParam } from './step.ts';
import { idList, pageLimit } from '../http/query-schemas.ts';
import { queryTime } from './time-query.ts';
import { HOUR_MS } from '../../time.ts';

/** Query strings of the history and stats endpoints; the same schemas feed their OpenAPI entries. */

/** Series one history or stats request may name. */
export const MAX_SERIES_PER_QUERY = 100;

const range = { from: queryTime.optional(), to: queryTime.optional() };

const historyFields = {
  ...range,
  step: stepParam.optional(),
  agg: z.enum(aggregations).default('mean'),
  source: z.enum(['auto', ...historySources]).default('auto'),
  /** Only for raw points as stored (no step): at most this many per series, oldest first. */
  limit: pageLimit(10_000, 100_000),
};

/** `from` defaults to an hour before `to`, which defaults to now. */
function withRange<T extends { from?: number | undefined; to?: number | undefined }>(q: T) {
  const to = q.to ?? Date.now();
  return { ...q, from: q.from ?? to - HOUR_MS, to };
}

const fromBeforeTo = [
  (q: { from: number; to: number }) => q.from < q.to,
  { message: 'from must be before to', path: ['from'] },
] satisfies [unknown, { message: string; path: PropertyKey[] }];

/** `GET /v1/series/:id/history`. */
export const seriesHistoryQuery = z
  .strictObject(historyFields)
  .transform(withRange)
  .refine(...fromBeforeTo);

/** `GET /v1/history`. */
export const historyQuery = z
  .strictObject({ series: idList('series', MAX_SERIES_PER_QUERY), ...historyFields })
  .transform(withRange)
  .refine(...fromBeforeTo);

/** `GET /v1/series/:id/stats`. */
export const seriesStatsQuery = z
  .strictObject(range)
  .transform(withRange)
  .refine(...fromBeforeTo);

/** `GET /v1/stats`. */
export const statsQuery = z
  .strictObject({ series: idList('series', MAX_SERIES_PER_QUERY), ...range })
  .transform(withRange)
  .refine(...fromBeforeTo);

export type HistoryQuery = z.infer<typeof seriesHistoryQuery>;

/** A series id in a path. */
export const seriesIdParams = z.strictObject({ id: z.string().min(1).max(100) });

/** `metric=`: an exact name, or a prefix ending in `*` (`cpu_*`). */
export const metricFilter = z
  .string()
  .min(1)
  .max(129)
  .regex(/^[^*]*\*?$/, 'a metric name, or a prefix ending in * (e.g. cpu_*)')
  .transform((s) => (s.endsWith('*') ? { name: s.slice(0, -1), prefix: true } : { name: s, prefix: false }));
