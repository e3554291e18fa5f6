import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { errorBody, notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { EXAMPLE_SERIES, EXAMPLE_SERIES_2, exampleStats } from '../services/history/examples.ts';
import { statsQuery } from '../services/history/query.ts';
import { readStats } from '../services/history/stats.ts';

/** `GET /v1/stats`: range statistics of up to 100 series. */
export const statsRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'getStats',
    summary: 'Count, min, max, mean, sum, last and p95 of up to 100 series over a range',
    description:
      'From raw samples (with nearest-rank p95) while raw retention covers `from`, else from the finest rollup whose retention does (`p95` null; whole rollup buckets overlapping the range). A series without data in the range has count 0 and nulls.',
    tag: 'Telemetry',
    auth: 'caller',
    permission: 'org.read',
    query: statsQuery,
    example: {
      query: {
        series: `${EXAMPLE_SERIES},${EXAMPLE_SERIES_2}`,
        from: '2026-11-22T10:00:00Z',
        to: '2026-11-22T11:00:00Z',
      },
    },
    responses: {
      200: {
        description: 'Stats per series, in the order asked',
        example: {
          ...exampleStats,
          stats: [
            ...exampleStats.stats,
            {
              seriesId: EXAMPLE_SERIES_2,
              count: 0,
              min: null,
              max: null,
              mean: null,
              sum: null,
              last: null,
              p95: null,
            },
          ],
        },
      },
      400: {
        description: 'A bad parameter, named in `field`',
        example: errorBody(
          'invalid_input',
          'series: give comma-separated series ids (e.g. s_a,s_b), none empty',
          'series',
        ),
      },
      404: {
        description: "A series id not in the caller's organisation",
        example: notFound(`series "${EXAMPLE_SERIES_2}"`).body(),
      },
    },
  }),
  async (c) => {
    const { series, ...range } = c.req.valid('query');
    return c.json(await readStats(c.env, c.var.caller.orgId, series, range));
  },
);
