import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert } from '../services/audit/record.ts';
import { deleteSeries } from '../services/devices/delete.ts';
import { idParams } from '../services/http/query-schemas.ts';

/** Path parameters of `DELETE /v1/series/:id`. */
export const seriesParams = idParams('series');

/** `DELETE /v1/series/:id`: one series' raw samples, rollups and registry row. */
export const seriesDeleteRoutes = new Hono<AppEnv>().delete(
  '/:id',
  doc({
    operationId: 'deleteSeries',
    summary: 'Delete one series and all its data',
    description:
      'Deletes the raw samples, rollups and registry row of the series. The device keeps reporting; a later sample of the same metric and labels starts the series afresh.',
    tag: 'Telemetry',
    auth: 'caller',
    permission: 'devices.admin',
    params: seriesParams,
    example: { params: { id: 's_3f1c9a0b7d2e4f6a8b1c3d5e' } },
    responses: {
      200: {
        description: 'Samples deleted from the device',
        example: { seriesId: 's_3f1c9a0b7d2e4f6a8b1c3d5e', deleted: { samples: 86400 } },
      },
      404: { description: 'No such series in your organisation' },
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const row = await db(c.env.DB)
      .select({ id: schema.series.id, orgId: schema.series.orgId, deviceId: schema.series.deviceId })
      .from(schema.series)
      .where(and(eq(schema.series.id, id), eq(schema.series.orgId, c.var.caller.orgId)))
      .get();
    if (!row) throw notFound(`series "${id}"`);
    const audit = auditInsert(c, { targetType: 'series', targetId: row.id, before: { deviceId: row.deviceId } });
    return c.json({ seriesId: row.id, deleted: { samples: await deleteSeries(c.env, row, [audit]) } });
  },
);
