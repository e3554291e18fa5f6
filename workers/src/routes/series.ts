import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { errorBody, notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { decodeCursor, encodeCursor } from '../services/http/cursor.ts';
import {
  EXAMPLE_DEVICE,
  EXAMPLE_SERIES,
  exampleHistory,
  exampleHistorySeries,
  exampleStats,
} from '../services/history/examples.ts';
import { metricFilter, seriesHistoryQuery, seriesStatsQuery } from '../services/history/query.ts';
import { JSON_TYPE, seriesHistoryJson } from '../services/history/history-json.ts';
import { readHistory } from '../services/history/read.ts';
import { searchSeries } from '../services/history/series.ts';
import { readStats } from '../services/history/stats.ts';
import { cursorParam, idParams, idString, pageLimit } from '../services/http/query-schemas.ts';

const seriesIdParams = idParams('series');

const LABEL_PAIR = '[a-zA-Z_][a-zA-Z0-9_]*=[^,]*';
const labelFilter = z
  .string()
  .regex(
    new RegExp(`^${LABEL_PAIR}(,${LABEL_PAIR})*$`),
    'give name=value pairs, comma-separated (e.g. mount=/,fs=ext4)',
  )
  .transform((s, ctx) => {
    const labels: Record<string, string> = {};
    for (const pair of s.split(',')) {
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(pair);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not name=value (e.g. label=mount=/,fs=ext4)` });
        return z.NEVER;
      }
      labels[m[1]!] = m[2]!;
    }
    return labels;
  });

/** `GET /v1/series`. */
export const seriesSearchQuery = z.strictObject({
  metric: metricFilter.optional(),
  device: idString('device').optional(),
  label: labelFilter.optional(),
  cursor: cursorParam.optional(),
  limit: pageLimit(100, 1000),
});

const isPosition = (v: unknown): v is { metric: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof Reflect.get(v, 'metric') === 'string' &&
  typeof Reflect.get(v, 'id') === 'string';

const notFoundSeries = {
  description: "No such series in the caller's organisation",
  example: notFound(`series "${EXAMPLE_SERIES}"`).body(),
};

/** `GET /v1/series` searches the registry; `/:id/history` and `/:id/stats` read one series. */
export const seriesRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'searchSeries',
      summary: 'Search series by metric (exact or prefix*), device and labels',
      description:
        "Series of the caller's organisation in (metric, id) order. All given filters must match; `label` takes comma-separated name=value pairs, all of which must match. Pass `nextCursor` back as `cursor` for the next page.",
      tag: 'Telemetry',
      auth: 'caller',
      permission: 'org.read',
      query: seriesSearchQuery,
      example: { query: { metric: 'disk_*', device: EXAMPLE_DEVICE, label: 'mount=/', limit: '100' } },
      responses: {
        200: {
          description: 'One page of series',
          example: {
            series: [
              {
                id: EXAMPLE_SERIES,
                deviceId: EXAMPLE_DEVICE,
                metric: 'disk_used_bytes',
                labels: { mount: '/' },
                createdAt: 1_795_300_000_000,
              },
            ],
            nextCursor: null,
          },
        },
        400: {
          description: 'A bad parameter, named in `field`',
          example: errorBody(
            'invalid_input',
            'label: give name=value pairs, comma-separated (e.g. mount=/,fs=ext4)',
            'label',
          ),
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await searchSeries(c.env.DB, c.var.caller.orgId, {
        metric: q.metric,
        deviceId: q.device,
        labels: q.label ?? {},
        after: q.cursor === undefined ? undefined : decodeCursor(q.cursor, isPosition),
        limit: q.limit,
      });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json({
        series: page,
        nextCursor: rows.length > q.limit && last ? encodeCursor({ metric: last.metric, id: last.id }) : null,
      });
    },
  )
  .get(
    '/:id/history',
    doc({
      operationId: 'getSeriesHistory',
      summary: 'History of one series: raw points, or aggregated buckets from raw or rollups',
      description:
        'Same query as `GET /v1/history` without `series`. Without `step`, a range of up to 6 h still covered by raw retention gives the raw points as stored (`step` and `agg` null, at most `limit`); otherwise points are buckets of `step` starting at multiples of the step since the epoch. The response names the `source` used.',
      tag: 'Telemetry',
      auth: 'caller',
      permission: 'org.read',
      params: seriesIdParams,
      query: seriesHistoryQuery,
      example: {
        params: { id: EXAMPLE_SERIES },
        query: { from: '2026-11-22T10:00:00Z', to: '2026-11-22T10:10:00Z', step: '5m', agg: 'mean' },
      },
      responses: {
        200: { description: 'The series and its points', example: { ...exampleHistorySeries, ...exampleHistory } },
        400: {
          description: 'A bad parameter, named in `field`',
          example: errorBody(
            'invalid_input',
            'step: "7q" is not a step of at least 1s: give milliseconds (30000) or a duration (10s, 5m, 1h, 1d)',
            'step',
          ),
        },
        404: notFoundSeries,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const result = await readHistory(c.env, c.var.caller.orgId, [c.req.valid('param').id], q);
      return c.body(seriesHistoryJson(result), 200, JSON_TYPE);
    },
  )
  .get(
    '/:id/stats',
    doc({
      operationId: 'getSeriesStats',
      summary: 'Count, min, max, mean, sum, last and p95 of one series over a range',
      description:
        'From raw samples (with nearest-rank p95) while raw retention covers `from`, else from the finest rollup that does (`p95` null).',
      tag: 'Telemetry',
      auth: 'caller',
      permission: 'org.read',
      params: seriesIdParams,
      query: seriesStatsQuery,
      example: { params: { id: EXAMPLE_SERIES }, query: { from: '2026-11-22T10:00:00Z', to: '2026-11-22T11:00:00Z' } },
      responses: {
        200: { description: 'Stats of the series', example: exampleStats },
        400: {
          description: 'A bad parameter, named in `field`',
          example: errorBody('invalid_input', 'from: from must be before to', 'from'),
        },
        404: notFoundSeries,
      },
    }),
    async (c) => c.json(await readStats(c.env, c.var.caller.orgId, [c.req.valid('param').id], c.req.valid('query'))),
  );
