import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { badRequest, notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert } from '../services/audit/record.ts';

const days = (what: string, max: number) =>
  z
    .number()
    .int(`${what} must be a whole number of days`)
    .min(1, `${what} must be at least 1 day`)
    .max(max, `${what} must be at most ${max} days`);

export const updateOrgSettingsBody = z.strictObject({
  retention: z.strictObject({
    rawDays: days('rawDays', 3650).optional(),
    rollup1mDays: days('rollup1mDays', 36_500).optional(),
    rollup1hDays: days('rollup1hDays', 36_500).optional(),
    /** `null` keeps daily rollups forever. */
    rollup1dDays: days('rollup1dDays', 36_500).nullable().optional(),
  }),
});

interface Retention {
  rawDays: number;
  rollup1mDays: number;
  rollup1hDays: number;
  rollup1dDays: number | null;
}

type Update = z.infer<typeof updateOrgSettingsBody>['retention'];

/** Each level must keep data at least as long as the finer one it is computed from. */
const ORDER: [finer: keyof Retention, coarser: keyof Retention][] = [
  ['rawDays', 'rollup1mDays'],
  ['rollup1mDays', 'rollup1hDays'],
  ['rollup1hDays', 'rollup1dDays'],
];

/**
 * The first ordering the merged settings break, as a 400 naming a field the request set
 * (the coarser one when it set both), since that is the value the caller has to change.
 */
function checkOrder(merged: Retention, update: Update): void {
  for (const [finer, coarser] of ORDER) {
    const f = merged[finer];
    const c = merged[coarser];
    if (f === null || c === null || c >= f) continue;
    const field = update[coarser] !== undefined ? coarser : finer;
    throw badRequest(
      'invalid_input',
      `retention.${coarser} (${c}) must be at least retention.${finer} (${f}): each level is kept at least as long as the finer one`,
      `retention.${field}`,
    );
  }
}

const TAG = 'Organisation';
const settingsExample = { retention: { rawDays: 30, rollup1mDays: 90, rollup1hDays: 730, rollup1dDays: null } };

async function readRetention(d1: D1Database, orgId: string): Promise<Retention> {
  const o = schema.organisations;
  const row = await db(d1)
    .select({
      rawDays: o.rawRetentionDays,
      rollup1mDays: o.rollup1mRetentionDays,
      rollup1hDays: o.rollup1hRetentionDays,
      rollup1dDays: o.rollup1dRetentionDays,
    })
    .from(o)
    .where(eq(o.id, orgId))
    .get();
  if (!row) throw notFound('organisation');
  return row;
}

/** `/v1/org/settings`: the organisation's retention windows for raw samples and each rollup level. */
export const orgSettingsRoutes = new Hono<AppEnv>()
  .get(
    '/settings',
    doc({
      operationId: 'getOrgSettings',
      summary: "Read the organisation's settings",
      description:
        'Retention in days: raw samples (swept by each device within the hour), then 1-minute, 1-hour and 1-day rollups (swept every 5 minutes). `rollup1dDays: null` keeps daily rollups forever.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      example: {},
      responses: { 200: { description: 'Current settings', example: settingsExample } },
    }),
    async (c) => c.json({ retention: await readRetention(c.env.DB, c.var.caller.orgId) }),
  )
  .patch(
    '/settings',
    doc({
      operationId: 'updateOrgSettings',
      summary: "Change the organisation's retention",
      description:
        'Fields left out keep their value. Each level must be kept at least as long as the finer one: rawDays ≤ rollup1mDays ≤ rollup1hDays ≤ rollup1dDays (or null, forever). Shorter windows delete older data in the following sweeps.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.manage',
      body: updateOrgSettingsBody,
      example: { body: { retention: { rawDays: 14, rollup1dDays: 3650 } } },
      responses: {
        200: {
          description: 'The settings now in force',
          example: { retention: { rawDays: 14, rollup1mDays: 90, rollup1hDays: 730, rollup1dDays: 3650 } },
        },
        400: { description: 'A value is out of range or breaks the ordering; `field` names it' },
      },
    }),
    async (c) => {
      const { retention: update } = c.req.valid('json');
      const { orgId } = c.var.caller;
      const current = await readRetention(c.env.DB, orgId);
      const merged: Retention = {
        rawDays: update.rawDays ?? current.rawDays,
        rollup1mDays: update.rollup1mDays ?? current.rollup1mDays,
        rollup1hDays: update.rollup1hDays ?? current.rollup1hDays,
        rollup1dDays: update.rollup1dDays === undefined ? current.rollup1dDays : update.rollup1dDays,
      };
      checkOrder(merged, update);
      const d = db(c.env.DB);
      await d.batch([
        d
          .update(schema.organisations)
          .set({
            rawRetentionDays: merged.rawDays,
            rollup1mRetentionDays: merged.rollup1mDays,
            rollup1hRetentionDays: merged.rollup1hDays,
            rollup1dRetentionDays: merged.rollup1dDays,
          })
          .where(eq(schema.organisations.id, orgId)),
        auditInsert(c, {
          targetType: 'organisation',
          targetId: orgId,
          before: { retention: current },
          after: { retention: merged },
        }),
      ]);
      return c.json({ retention: merged });
    },
  );
