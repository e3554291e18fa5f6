import { and, asc, eq, exists, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { badRequest } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert, auditInsertIf } from '../services/audit/record.ts';
import { newId } from '../services/credentials/crypto.ts';
import {
  invalid400,
  notFound404,
  SITE_ID,
  siteBodyExample,
  siteDetail as siteDetailSchema,
  siteDetailExample,
  siteExample,
  siteView,
} from '../services/sites/docs.ts';
import { gatewaysOfSite } from '../services/sites/gateway-config.ts';
import { pushGatewayConfig } from '../services/sites/push.ts';
import { siteBody, siteParams, sitePatch } from '../services/sites/schemas.ts';
import { siteDetail, siteViews } from '../services/sites/sites.ts';
import { deleteSite } from '../services/sites/site-delete.ts';
import { loadSite, siteNotFound, type SiteRow } from '../services/sites/store.ts';

const TAG = 'Sites';
const s = schema.sites;
const ZONE_RULE =
  "`timeZone` must be an IANA zone the runtime knows (`Europe/Zurich`, `UTC`); `discovery` sets how the site's gateways look for controllers (on by default, every 600 s, broadcast unless `targets` are given).";
const badZone = invalid400(
  badRequest('invalid_input', 'timeZone: timeZone is not an IANA time zone (example: "Europe/Zurich")', 'timeZone'),
);

/** `/v1/sites`: buildings with their gateways and controllers. Members write, everyone reads. */
export const siteRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'listSites',
      summary: 'List sites',
      description: 'Ordered by name, each with its gateways and how many controllers it has.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      example: {},
      responses: {
        200: {
          description: 'The sites',
          schema: z.object({ sites: z.array(siteView) }),
          example: { sites: [siteExample] },
        },
      },
    }),
    async (c) => {
      const { orgId } = c.var.caller;
      const rows = await db(c.env.DB).select().from(s).where(eq(s.orgId, orgId)).orderBy(asc(s.name), asc(s.id)).all();
      return c.json({ sites: await siteViews(c.env, orgId, rows) });
    },
  )
  .post(
    '/',
    doc({
      operationId: 'createSite',
      summary: 'Create a site',
      description: ZONE_RULE,
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      body: siteBody,
      example: { body: siteBodyExample },
      responses: {
        201: {
          description: 'The site',
          schema: siteView,
          example: { ...siteExample, gateways: [], controllerCount: 0 },
        },
        400: badZone,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { orgId } = c.var.caller;
      const row: SiteRow = {
        id: newId('site'),
        orgId,
        name: body.name,
        address: body.address ?? null,
        timeZone: body.timeZone,
        discoveryEnabled: body.discovery?.enabled ?? true,
        discoveryIntervalSeconds: body.discovery?.intervalSeconds ?? 600,
        discoveryTargets: body.discovery?.targets ?? [],
        createdAt: Date.now(),
      };
      const d = db(c.env.DB);
      await d.batch([d.insert(s).values(row), auditInsert(c, { targetType: 'site', targetId: row.id, after: body })]);
      const [view] = await siteViews(c.env, orgId, [row]);
      return c.json(view!, 201);
    },
  )
  .get(
    '/:id',
    doc({
      operationId: 'getSite',
      summary: 'Get a site',
      description: "With its gateways and its controllers counted by status (from the gateways' health samples).",
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      params: siteParams,
      example: { params: { id: SITE_ID } },
      responses: {
        200: { description: 'The site', schema: siteDetailSchema, example: siteDetailExample },
        404: notFound404.site,
      },
    }),
    async (c) => {
      const { orgId } = c.var.caller;
      const site = await loadSite(db(c.env.DB), orgId, c.req.valid('param').id);
      return c.json(await siteDetail(c.env, orgId, site));
    },
  )
  .patch(
    '/:id',
    doc({
      operationId: 'updateSite',
      summary: 'Change a site',
      description: `Only the fields given change (\`discovery\`'s too); \`null\` clears \`address\`. A discovery change reaches the site's gateways through their remote config. ${ZONE_RULE}`,
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: siteParams,
      body: sitePatch,
      example: {
        params: { id: SITE_ID },
        body: { name: 'Main building (north)', discovery: { intervalSeconds: 900 } },
      },
      responses: {
        200: {
          description: 'The site as changed',
          schema: siteView,
          example: { ...siteExample, name: 'Main building (north)' },
        },
        400: badZone,
        404: notFound404.site,
      },
    }),
    async (c) => {
      const patch = c.req.valid('json');
      const { orgId } = c.var.caller;
      const d = db(c.env.DB);
      const before = await loadSite(d, orgId, c.req.valid('param').id);
      const after: SiteRow = {
        ...before,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.address !== undefined ? { address: patch.address } : {}),
        ...(patch.timeZone !== undefined ? { timeZone: patch.timeZone } : {}),
        discoveryEnabled: patch.discovery?.enabled ?? before.discoveryEnabled,
        discoveryIntervalSeconds: patch.discovery?.intervalSeconds ?? before.discoveryIntervalSeconds,
        discoveryTargets: patch.discovery?.targets ?? before.discoveryTargets,
      };
      const { id: _id, orgId: _org, createdAt: _created, ...changed } = after;
      const [, updated] = await d.batch([
        auditInsertIf(
          c,
          { targetType: 'site', targetId: before.id, before: sitePublic(before), after: sitePublic(after) },
          exists(
            d
              .select({ one: sql`1` })
              .from(s)
              .where(and(eq(s.id, before.id), eq(s.orgId, orgId))),
          ),
        ),
        d
          .update(s)
          .set(changed)
          .where(and(eq(s.id, before.id), eq(s.orgId, orgId)))
          .returning(),
      ]);
      if (updated.length === 0) throw siteNotFound(before.id);
      if (patch.discovery) await pushGatewayConfig(c, await gatewaysOfSite(c.env, orgId, before.id));
      const [view] = await siteViews(c.env, orgId, [after]);
      return c.json(view!);
    },
  )
  .delete(
    '/:id',
    doc({
      operationId: 'deleteSite',
      summary: 'Delete a site',
      description:
        "Its controllers, their point labels and its trend logs are deleted with it; its devices (gateways included) stay, without a site. The gateways' history is kept: points are series of the gateway device.",
      tag: TAG,
      auth: 'caller',
      permission: 'sites.write',
      params: siteParams,
      example: { params: { id: SITE_ID } },
      responses: {
        200: {
          description: 'Deleted; what went with it',
          schema: z.object({ id: z.string(), controllers: z.number().int(), trendLogs: z.number().int() }),
          example: { id: SITE_ID, controllers: 3, trendLogs: 1 },
        },
        404: notFound404.site,
      },
    }),
    async (c) => c.json(await deleteSite(c, await loadSite(db(c.env.DB), c.var.caller.orgId, c.req.valid('param').id))),
  );

/** What the audit row records of a site. */
function sitePublic(row: SiteRow) {
  return {
    name: row.name,
    address: row.address,
    timeZone: row.timeZone,
    discovery: {
      enabled: row.discoveryEnabled,
      intervalSeconds: row.discoveryIntervalSeconds,
      targets: row.discoveryTargets,
    },
  };
}
