import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { errorBody, notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import {
  EXAMPLE_DEVICE_2,
  EXAMPLE_SERIES,
  EXAMPLE_SERIES_2,
  exampleHistory,
  exampleHistorySeries,
} from '../services/history/examples.ts';
import { historyQuery } from '../services/history/query.ts';
import { historyJson, JSON_TYPE } from '../services/history/history-json.ts';
import { readHistory } from '../services/history/read.ts';

/** `GET /v1/history`: up to 100 series, across devices, in one request. */
export const historyRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'getHistory',
    summary: 'History of up to 100 series, bucketed by step, from raw samples or rollups',
    description: [
      '`from` defaults to `to` − 1 h and `to` to now (epoch ms or ISO 8601). `step` is milliseconds or a duration (`10s`, `5m`, `1h`, `1d`), at least 1 s; point `ts` is the start of its bucket, and buckets start at multiples of the step since the epoch, so every source gives the same buckets.',
      "`agg` (default `mean`) combines a bucket: from rollups mean = Σsum/Σcount, sum = Σsum, count = Σcount, last = the latest rollup bucket's last.",
      '`source=auto` (default) takes the coarsest rollup (1d, 1h, 1m) whose resolution divides the step and whose retention covers `from`, else raw samples while raw retention covers `from`, else the finest rollup still holding data for the range (and says so in `note`). Without `step`, a range of up to 6 h covered by raw retention gives raw points as stored (`step` and `agg` null, at most `limit` per series); longer ranges get the smallest of 1m, 5m, 15m, 1h, 6h, 1d giving at most 1,000 points.',
      'An explicit `source` is honoured (past its retention it answers what it still holds, usually nothing, with a `note` saying so); a step that is not a multiple of its resolution is a 400 naming `step`, as is more than 100,000 series × buckets. A rollup bucket counts when it overlaps [from, to).',
    ].join('\n\n'),
    tag: 'Telemetry',
    auth: 'caller',
    permission: 'org.read',
    query: historyQuery,
    example: {
      query: {
        series: `${EXAMPLE_SERIES},${EXAMPLE_SERIES_2}`,
        from: '2026-11-22T10:00:00Z',
        to: '2026-11-22T10:10:00Z',
        step: '5m',
        agg: 'mean',
        source: 'auto',
      },
    },
    responses: {
      200: {
        description: 'Points per series, in the order asked, and the source used',
        example: {
          ...exampleHistory,
          series: [
            exampleHistorySeries,
            {
              ...exampleHistorySeries,
              seriesId: EXAMPLE_SERIES_2,
              deviceId: EXAMPLE_DEVICE_2,
              points: [{ ts: exampleHistory.from, value: 41.0 }],
            },
          ],
        },
      },
      400: {
        description: 'A bad parameter, named in `field`',
        example: errorBody(
          'invalid_input',
          'step: 100 series × 1440 buckets of 60000 ms is more than 100000 points; use a larger step or a shorter range',
          'step',
        ),
      },
      404: {
        description: "A series id not in the caller's organisation",
        example: notFound(`series "${EXAMPLE_SERIES_2}"`).body(),
      },
    },
  }),
  async (c) => {
    const { series, ...q } = c.req.valid('query');
    return c.body(historyJson(await readHistory(c.env, c.var.caller.orgId, series, q)), 200, JSON_TYPE);
  },
);
