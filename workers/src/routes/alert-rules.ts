import { and, asc, eq, exists, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { alertRuleBody } from '../../../schema/wire/alerts.ts';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { fromZodError } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { notFoundResponse } from '../openapi/responses.ts';
import { announceRuleChange } from '../services/alerts/announce.ts';
import { previewRules } from '../services/alerts/preview.ts';
import { resolveRuleIncidents } from '../services/alerts/resolve.ts';
import {
  alertRuleListQuery,
  alertRulePatch,
  alertRulePreviewBody,
  alertRuleView,
  invalidRuleExample,
  previewAnswer,
  previewExample,
  RULE_ID,
  ruleBodyExample,
  ruleExample,
  ruleNotFound,
} from '../services/alerts/rule-docs.ts';
import { bodyOf, columnsOf, definitionOf, ruleView } from '../services/alerts/rules.ts';
import { coversDevice } from '../services/alerts/scope.ts';
import { checkRule, RULE_CHECKS } from '../services/alerts/validate.ts';
import { auditInsert, auditInsertIf } from '../services/audit/record.ts';
import { newId } from '../services/credentials/crypto.ts';
import { idParams } from '../services/http/query-schemas.ts';

const TAG = 'Alerts';
const r = schema.alertRules;
const params = idParams('alert rule');
const invalid400 = {
  description: `Invalid input; \`field\` names it. ${RULE_CHECKS}`,
  example: invalidRuleExample.body(),
};
const notFound404 = notFoundResponse('alert rule', RULE_ID);
const SEMANTICS =
  "Rules are evaluated in each covered device's DeviceHub as its batches arrive, and by its alarm for absence (no data, offline), `for`, keep-firing-for and repeats; a change reaches the hubs at once. Each (rule, series) episode is one incident: pending while `for` runs, then firing, then resolved (a pending episode that clears first is resolved with `neverFired`). Thresholds use hysteresis: a level is entered past `value` and left only back past `clear`; warning and critical escalate and de-escalate within one incident.";

async function loadRule(d: ReturnType<typeof db>, orgId: string, id: string) {
  const row = await d
    .select()
    .from(r)
    .where(and(eq(r.id, id), eq(r.orgId, orgId)))
    .get();
  if (!row) throw ruleNotFound(id);
  return row;
}

/** The rule's row, when it still exists as the batch runs: the audit row is written only then. */
const stillThere = (d: ReturnType<typeof db>, orgId: string, id: string) =>
  exists(
    d
      .select({ one: sql`1` })
      .from(r)
      .where(and(eq(r.id, id), eq(r.orgId, orgId))),
  );

const waitUntil = (c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }) => (p: Promise<unknown>) =>
  c.executionCtx.waitUntil(p);

/** `/v1/alert-rules`: what to watch and when to raise an incident. Admins write, everyone reads. */
export const alertRulesRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'listAlertRules',
      summary: 'List alert rules',
      description: `Ordered by name. \`deviceId\` gives the rules that apply to that device (its own, its site's, its tags', the org's). ${SEMANTICS}`,
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      query: alertRuleListQuery,
      example: { query: { enabled: 'true' } },
      responses: {
        200: {
          description: 'The rules',
          schema: z.object({ rules: z.array(alertRuleView) }),
          example: { rules: [ruleExample] },
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { orgId } = c.var.caller;
      const where = [eq(r.orgId, orgId)];
      if (q.deviceId !== undefined) where.push(coversDevice(orgId, q.deviceId));
      if (q.siteId !== undefined) where.push(and(eq(r.scopeKind, 'site'), eq(r.scopeValue, q.siteId))!);
      if (q.tag !== undefined) where.push(and(eq(r.scopeKind, 'tag'), eq(r.scopeValue, q.tag))!);
      if (q.enabled !== undefined) where.push(eq(r.enabled, q.enabled === 'true'));
      const rows = await db(c.env.DB)
        .select()
        .from(r)
        .where(and(...where))
        .orderBy(asc(r.name), asc(r.id))
        .all();
      return c.json({ rules: rows.map(ruleView) });
    },
  )
  .post(
    '/',
    doc({
      operationId: 'createAlertRule',
      summary: 'Create an alert rule',
      description: SEMANTICS,
      tag: TAG,
      auth: 'caller',
      permission: 'alerts.write',
      body: alertRuleBody,
      example: { body: ruleBodyExample },
      responses: { 201: { description: 'The rule', schema: alertRuleView, example: ruleExample }, 400: invalid400 },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { caller } = c.var;
      const d = db(c.env.DB);
      await checkRule(d, caller.orgId, body);
      const now = Date.now();
      const row = {
        id: newId('alr'),
        orgId: caller.orgId,
        ...columnsOf(body),
        version: 1,
        createdBy: caller.userId ?? caller.credentialId,
        createdAt: now,
        updatedAt: now,
      };
      await d.batch([
        d.insert(r).values(row),
        auditInsert(c, { targetType: 'alert_rule', targetId: row.id, after: body }),
      ]);
      if (row.enabled) await announceRuleChange(c.env, caller.orgId, [body.scope], waitUntil(c));
      return c.json(ruleView(row), 201);
    },
  )
  .post(
    '/preview',
    doc({
      operationId: 'previewAlertRule',
      summary: 'Try a rule on stored history: when it would have fired',
      description: `Nothing is stored or notified. The rule runs in the DeviceHubs of the devices it would cover (at most 50; or only \`deviceId\`) over their raw samples of the last \`hours\`, with the same engine as live evaluation, and the answer lists the transitions it would have made (at most 1,000) with their counts. \`truncated\` says some history or some devices were left out. Offline rules replay the device's batch arrivals. ${RULE_CHECKS}`,
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      body: alertRulePreviewBody,
      example: { body: { ...ruleBodyExample, hours: 6 } },
      responses: {
        200: { description: 'What the rule would have done', schema: previewAnswer, example: previewExample },
        400: invalid400,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await previewRules(c.env, c.var.caller.orgId, { ...body, name: body.name ?? 'Preview' }));
    },
  )
  .get(
    '/:id',
    doc({
      operationId: 'getAlertRule',
      summary: 'Get an alert rule',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      params,
      example: { params: { id: RULE_ID } },
      responses: { 200: { description: 'The rule', schema: alertRuleView, example: ruleExample }, 404: notFound404 },
    }),
    async (c) => c.json(ruleView(await loadRule(db(c.env.DB), c.var.caller.orgId, c.req.valid('param').id))),
  )
  .patch(
    '/:id',
    doc({
      operationId: 'updateAlertRule',
      summary: 'Change an alert rule',
      description:
        'Fields given replace the stored ones (`scope`, `matchers` and `condition` as a whole); `null` clears `description` or `metric`. The version grows by one. A change of what the rule watches (scope, metric, matchers, condition) or disabling it first resolves its open incidents (`alert.resolved` with reason `rule_changed` or `rule_disabled`); renaming or changing `forMs`, `keepFiringForMs` or `repeatIntervalMs` keeps them. ' +
        RULE_CHECKS,
      tag: TAG,
      auth: 'caller',
      permission: 'alerts.write',
      params,
      body: alertRulePatch,
      example: { params: { id: RULE_ID }, body: { name: 'Disk full', forMs: 300_000 } },
      responses: {
        200: {
          description: 'The rule as changed',
          schema: alertRuleView,
          example: { ...ruleExample, name: 'Disk full', forMs: 300_000, version: 2 },
        },
        400: invalid400,
        404: notFound404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      const { orgId } = c.var.caller;
      const d = db(c.env.DB);
      const before = await loadRule(d, orgId, id);
      const merged: Record<string, unknown> = { ...bodyOf(before), ...patch };
      for (const key of ['description', 'metric'] as const) if (merged[key] === null) delete merged[key];
      const parsed = alertRuleBody.safeParse(merged);
      if (!parsed.success) throw fromZodError(parsed.error);
      const body = parsed.data;
      await checkRule(d, orgId, body, bodyOf(before).scope);
      const columns = columnsOf(body);
      const watchChanged = definitionOf(before) !== definitionOf(columns);
      if (before.enabled && (!body.enabled || watchChanged)) {
        await resolveRuleIncidents(c.env, orgId, id, body.enabled ? 'rule_changed' : 'rule_disabled');
      }
      const [, [row]] = await d.batch([
        auditInsertIf(
          c,
          { targetType: 'alert_rule', targetId: id, before: bodyOf(before), after: body },
          stillThere(d, orgId, id),
        ),
        d
          .update(r)
          .set({ ...columns, version: sql`${r.version} + 1`, updatedAt: Date.now() })
          .where(and(eq(r.id, id), eq(r.orgId, orgId)))
          .returning(),
      ]);
      if (!row) throw ruleNotFound(id);
      await announceRuleChange(c.env, orgId, [bodyOf(before).scope, body.scope], waitUntil(c));
      return c.json(ruleView(row));
    },
  )
  .delete(
    '/:id',
    doc({
      operationId: 'deleteAlertRule',
      summary: 'Delete an alert rule',
      description:
        "Its open incidents are resolved first (`alert.resolved` with reason `rule_deleted`; a resolved notification for those that fired). Incidents keep the rule's name.",
      tag: TAG,
      auth: 'caller',
      permission: 'alerts.write',
      params,
      example: { params: { id: RULE_ID } },
      responses: {
        200: {
          description: 'Deleted; how many open incidents were resolved',
          schema: z.object({ id: z.string(), resolvedIncidents: z.number().int() }),
          example: { id: RULE_ID, resolvedIncidents: 2 },
        },
        404: notFound404,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { orgId } = c.var.caller;
      const d = db(c.env.DB);
      const before = await loadRule(d, orgId, id);
      const resolvedIncidents = await resolveRuleIncidents(c.env, orgId, id, 'rule_deleted');
      const [, deleted] = await d.batch([
        auditInsertIf(c, { targetType: 'alert_rule', targetId: id, before: bodyOf(before) }, stillThere(d, orgId, id)),
        d
          .delete(r)
          .where(and(eq(r.id, id), eq(r.orgId, orgId)))
          .returning({ id: r.id }),
      ]);
      if (deleted.length === 0) throw ruleNotFound(id);
      await announceRuleChange(c.env, orgId, [bodyOf(before).scope], waitUntil(c));
      return c.json({ id, resolvedIncidents });
    },
  );
