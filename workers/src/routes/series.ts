import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { notFound } from '../errors.ts';
import { requireAuth } from '../middleware/auth/index.ts';
import { deviceHubFor } from '../objects/device-hub.ts';
import { queryTime } from '../services/time-query.ts';
import { queryParams } from '../services/validate.ts';

const historyQuery = z
  .strictObject({
    from: queryTime.optional(),
    to: queryTime.optional(),
    limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
  })
  .transform((q) => {
    const to = q.to ?? Date.now();
    return { from: q.from ?? to - 3600_000, to, limit: q.limit };
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] });

/** `GET /v1/series/:id/history`: raw samples of one series, from its device's DeviceHub. */
export const seriesRoutes = new Hono<AppEnv>().get('/:id/history', requireAuth('read'), async (c) => {
  const q = queryParams(c, historyQuery);
  const id = c.req.param('id');
  const row = await db(c.env.DB)
    .select()
    .from(schema.series)
    .where(and(eq(schema.series.id, id), eq(schema.series.orgId, c.var.caller.orgId)))
    .get();
  if (!row) throw notFound(`series "${id}"`);
  const points = await deviceHubFor(c.env, row.deviceId).history(row.id, q.from, q.to, q.limit);
  return c.json({
    seriesId: row.id,
    deviceId: row.deviceId,
    metric: row.metric,
    labels: row.labels,
    from: q.from,
    to: q.to,
    source: 'raw',
    points,
  });
});
