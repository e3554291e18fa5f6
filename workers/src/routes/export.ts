import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { exportEncoder } from '../services/export/format.ts';
import { rawPages, rollupPages } from '../services/export/pages.ts';
import { deviceSeries, exportQuery, namedSeries, type ExportRows } from '../services/export/query.ts';
import { exportStream } from '../services/export/stream.ts';
import { orgDevice } from './devices.ts';

const CONTENT_TYPES = { ndjson: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' } as const;

/** `20261122T100000Z`: a time that reads well in a file name. */
const fileStamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d+/g, '');

const exampleSeries = 's_3f1c9a0b7d2e4f6a8b1c3d5e';
const exampleDevice = 'dev_k3v9q2m8x1c7r4t6w0z5y8b2';
/** A one-row export, encoded by the encoder the route uses, so the example cannot drift from the format. */
function exampleOf(format: 'ndjson' | 'csv', rows: ExportRows = 'full'): string {
  const encoder = exportEncoder(format, false, rows);
  const series = { id: exampleSeries, deviceId: exampleDevice, metric: 'cpu_usage_percent', labels: { cpu: '0' } };
  // Two rows show the compact form's one header; one row is the full forms' whole story.
  const [ts, values] =
    rows === 'compact'
      ? [
          [1_795_219_200_000, 1_795_219_210_000],
          [12.5, 13],
        ]
      : [[1_795_219_200_000], [12.5]];
  return encoder.header + encoder.raw(series, ts, values);
}

/** `GET /v1/export`: raw samples or rollups of many series, streamed as NDJSON or CSV. */
export const exportRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'exportTelemetry',
    summary: 'Stream raw samples or rollups as NDJSON or CSV',
    description:
      'Give `series=` (comma-separated ids, rows in that order) or `device=` (its series by metric, then labels), optionally narrowed by `metric=`. Rows are in (series, ts) order; for rollups `ts` is the start of the bucket. `rows=compact` (NDJSON only) names each series once, on a header line, instead of on every row. The body is streamed: it may be gigabytes, and stops being produced when the client disconnects. Every line, the last included, ends with a newline: a body without one was cut short.',
    tag: 'Export',
    auth: 'caller',
    permission: 'org.read',
    query: exportQuery,
    example: { query: { device: exampleDevice, metric: 'cpu_usage_percent', from: '2026-11-21T00:00:00Z' } },
    responses: {
      200: {
        description:
          'One row per line: `application/x-ndjson` for `format=ndjson` (default), `text/csv` (a header line, then rows) for `format=csv`. With `rows=compact` (NDJSON) each series is a header object on its own line followed by its rows as arrays, e.g.\n\n```\n' +
          exampleOf('ndjson', 'compact') +
          '```',
        contentType: 'application/x-ndjson',
        example: exampleOf('ndjson'),
        alternatives: [
          {
            contentType: 'text/csv',
            example: exampleOf('csv'),
          },
        ],
      },
      400: { description: 'A bad query parameter, named in `field`' },
      404: { description: 'A series or device that is not in your organisation' },
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const { orgId } = c.var.caller;
    // Everything that can refuse the request runs here, before the 200 is sent.
    const { target } = q;
    const series =
      'series' in target
        ? await namedSeries(c.env.DB, orgId, target.series)
        : await deviceSeries(c.env.DB, orgId, (await orgDevice(c.env, orgId, target.device)).id, target.metric);
    const encoder = exportEncoder(q.format, q.source !== 'raw', q.rows);
    const range = { from: q.from, to: q.to };
    const pages =
      q.source === 'raw'
        ? rawPages(c.env, series, range, encoder)
        : rollupPages(c.env, q.source, series, range, encoder);
    const body = exportStream(encoder.header, pages, { requestId: c.var.requestId, orgId });
    return c.body(body, 200, {
      'content-type': CONTENT_TYPES[q.format],
      'content-disposition': `attachment; filename="edgewatch-export-${q.source}-${fileStamp(q.from)}-${fileStamp(q.to)}.${q.format}"`,
      'cache-control': 'no-store',
    });
  },
);
