import { and, eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { badRequest } from '../errors.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert } from '../services/audit/record.ts';
import { CONTROLLER_ID, invalid400, notFound404, pointsAnswer, pointsExample } from '../services/sites/docs.ts';
import { controllerLabel } from '../services/sites/health.ts';
import { type PointLabels, pointViews, registerViews, splitPoint } from '../services/sites/points.ts';
import { controllerParams, pointsPatch, pointsQuery } from '../services/sites/schemas.ts';
import { batchWithRaw, type ControllerRow, loadController } from '../services/sites/store.ts';

const TAG = 'Sites';
const p = schema.points;

async function labelsOf(env: Env, orgId: string, controllerId: string): Promise<PointLabels> {
  const rows = await db(env.DB)
    .select()
    .from(p)
    .where(and(eq(p.orgId, orgId), eq(p.controllerId, controllerId)))
    .all();
  return new Map(
    rows
      .filter((r) => r.label !== null || r.unit !== null)
      .map((r) => [`${r.pointType}${r.pointNumber}`, { label: r.label, unit: r.unit }]),
  );
}

/** The controller's points, from its gateway's latest values: one DeviceHub read, no controller read. */
async function pointsOf(
  env: Env,
  orgId: string,
  row: ControllerRow,
  query: { type?: 'IN' | 'OUT' | 'VAR'; all?: string },
) {
  const [values, labels] = await Promise.all([
    row.gatewayDeviceId
      ? deviceHubFor(env, row.gatewayDeviceId).latest({
          label: { name: 'controller', value: controllerLabel(row.serial) },
        })
      : Promise.resolve([]),
    labelsOf(env, orgId, row.id),
  ]);
  return {
    controllerId: row.id,
    gatewayDeviceId: row.gatewayDeviceId,
    points: pointViews(values, labels, { type: query.type, all: query.all === 'true' }),
    registers: query.type ? [] : registerViews(values),
  };
}

const DESCRIPTION =
  "Values, ranges, auto/manual and analog/digital come from the gateway device's latest values (`t3_point_value`, `t3_point_range`, `t3_point_manual`, `t3_point_digital` labelled `{controller, point, type}`), never from the controller, so any number of readers costs no Modbus request. `seriesId` is the value's series: history, stats, export, alerts and the stream take it like any other. Labels and units are the organisation's (PATCH). Raw registers (`modbus_register_value`) are listed under `registers`.";

/** `/v1/controllers/:id/points`: a controller's T3 points, labelled in D1, valued from its gateway's DeviceHub. */
export const pointRoutes = new Hono<AppEnv>()
  .get(
    '/:id/points',
    doc({
      operationId: 'listControllerPoints',
      summary: "A controller's points with their latest values",
      description: `${DESCRIPTION} Without \`all=true\`, only points with a value, a flag or a label, in IN, OUT, VAR order.`,
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      params: controllerParams,
      query: pointsQuery,
      example: { params: { id: CONTROLLER_ID }, query: { type: 'IN' } },
      responses: {
        200: { description: 'The points', schema: pointsAnswer, example: pointsExample },
        404: notFound404.controller,
      },
    }),
    async (c) => {
      const { orgId } = c.var.caller;
      const row = await loadController(db(c.env.DB), orgId, c.req.valid('param').id);
      return c.json(await pointsOf(c.env, orgId, row, c.req.valid('query')));
    },
  )
  .patch(
    '/:id/points',
    doc({
      operationId: 'updateControllerPoints',
      summary: "Label a controller's points",
      description:
        'Sets the label and unit of up to 256 points at once (a panel labelled in one request); fields left out stay, `null` clears. Answers with the points changed.',
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: controllerParams,
      body: pointsPatch,
      example: {
        params: { id: CONTROLLER_ID },
        body: { points: [{ point: 'IN1', label: 'Supply air temperature', unit: '°C' }] },
      },
      responses: {
        200: { description: 'The points changed', schema: pointsAnswer, example: pointsExample },
        400: invalid400(
          badRequest(
            'invalid_input',
            'points.0.point: point must be IN1-IN64, OUT1-OUT64 or VAR1-VAR128 (example: "IN1")',
            'points.0.point',
          ),
        ),
        404: notFound404.controller,
      },
    }),
    async (c) => {
      const { orgId } = c.var.caller;
      const d = db(c.env.DB);
      const row = await loadController(d, orgId, c.req.valid('param').id);
      const { points } = c.req.valid('json');
      const before = await labelsOf(c.env, orgId, row.id);
      const now = Date.now();
      const rows = points.map((change) => {
        const was = before.get(change.point);
        return {
          controllerId: row.id,
          orgId,
          ...splitPoint(change.point),
          label: change.label !== undefined ? change.label : (was?.label ?? null),
          unit: change.unit !== undefined ? change.unit : (was?.unit ?? null),
          updatedAt: now,
        };
      });
      await batchWithRaw(c.env, [
        // One statement for the whole list: rows as a JSON parameter, clear of the 100-parameter cap. The
        // EXISTS keeps a controller deleted meanwhile from failing the foreign key.
        sql`INSERT INTO points (controller_id, org_id, point_type, point_number, label, unit, updated_at)
          SELECT value ->> 'controllerId', value ->> 'orgId', value ->> 'pointType', value ->> 'pointNumber',
                 value ->> 'label', value ->> 'unit', value ->> 'updatedAt'
          FROM json_each(${JSON.stringify(rows)})
          WHERE EXISTS (SELECT 1 FROM controllers WHERE id = ${row.id} AND org_id = ${orgId})
          ON CONFLICT (controller_id, point_type, point_number)
          DO UPDATE SET label = excluded.label, unit = excluded.unit, updated_at = excluded.updated_at`,
        auditInsert(c, {
          targetType: 'controller',
          targetId: row.id,
          before: Object.fromEntries(points.map((x) => [x.point, before.get(x.point) ?? null])),
          after: Object.fromEntries(
            rows.map((r) => [`${r.pointType}${r.pointNumber}`, { label: r.label, unit: r.unit }]),
          ),
        }),
      ]);
      const answer = await pointsOf(c.env, orgId, row, { all: 'true' });
      const changed = new Set(points.map((x) => x.point));
      return c.json({ ...answer, points: answer.points.filter((v) => changed.has(v.point)), registers: [] });
    },
  );
