import { eq, isNull, and } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { confirmationMismatch, DEVICES_PER_REQUEST, purgeOrg } from '../services/accounts/org-deletion.ts';
import { auditInsert } from '../services/audit/record.ts';
import { closeStreams } from '../services/streams/close.ts';
import { nonBlank } from '../../../schema/wire/text.ts';

const TAG = 'Organisation';
const ORG_ID = 'org_01JD5V7K';
const orgName = nonBlank('name is required').max(100, 'name must be at most 100 characters');

async function currentOrg(d1: D1Database, orgId: string) {
  const o = schema.organisations;
  const org = await db(d1)
    .select({ id: o.id, name: o.name })
    .from(o)
    .where(and(eq(o.id, orgId), isNull(o.deletedAt)))
    .get();
  if (!org) throw notFound('organisation');
  return org;
}

/** `/v1/org`: rename and delete the caller's organisation. */
export const orgRoutes = new Hono<AppEnv>()
  .patch(
    '/',
    doc({
      operationId: 'updateOrg',
      summary: 'Rename the organisation',
      tag: TAG,
      auth: 'caller',
      permission: 'org.manage',
      body: z.strictObject({ name: orgName }),
      example: { body: { name: 'Acme Industries' } },
      responses: { 200: { description: 'The organisation', example: { id: ORG_ID, name: 'Acme Industries' } } },
    }),
    async (c) => {
      const { name } = c.req.valid('json');
      const { orgId } = c.var.caller;
      const before = await currentOrg(c.env.DB, orgId);
      const d = db(c.env.DB);
      await d.batch([
        d.update(schema.organisations).set({ name }).where(eq(schema.organisations.id, orgId)),
        auditInsert(c, { targetType: 'organisation', targetId: orgId, before: { name: before.name }, after: { name } }),
      ]);
      return c.json({ id: orgId, name });
    },
  )
  .delete(
    '/',
    doc({
      operationId: 'deleteOrg',
      summary: 'Delete the organisation and all its data',
      description:
        "Owners only, confirmed by the organisation's name. The organisation answers as gone at once: its API keys and sessions are refused (401) and their streams close. Its devices' data is then deleted through their objects a few devices at a time (the rest within the following cron runs), and then its rows.",
      tag: TAG,
      auth: 'caller',
      permission: 'org.own',
      body: z.strictObject({ confirm: z.string().max(200) }),
      example: { body: { confirm: 'Acme' } },
      responses: {
        202: { description: 'Deleted; its data is being removed', example: { id: ORG_ID, deletedAt: 1733800000000 } },
        400: { description: "`confirm` is not the organisation's name", example: confirmationMismatch().body() },
      },
    }),
    async (c) => {
      const { confirm } = c.req.valid('json');
      const { orgId } = c.var.caller;
      const org = await currentOrg(c.env.DB, orgId);
      if (confirm !== org.name) throw confirmationMismatch();
      const deletedAt = Date.now();
      const d = db(c.env.DB);
      const o = schema.organisations;
      await d.batch([
        d
          .update(o)
          .set({ deletedAt })
          .where(and(eq(o.id, orgId), isNull(o.deletedAt))),
        auditInsert(c, {
          targetType: 'organisation',
          targetId: orgId,
          before: { name: org.name },
          after: { deletedAt },
        }),
      ]);
      const [members, keys] = await Promise.all([
        d.select({ id: schema.memberships.userId }).from(schema.memberships).where(eq(schema.memberships.orgId, orgId)),
        d.select({ id: schema.apiKeys.id }).from(schema.apiKeys).where(eq(schema.apiKeys.orgId, orgId)),
      ]);
      await closeStreams(c.env, orgId, { userIds: members.map((m) => m.id), credentialIds: keys.map((k) => k.id) });
      // A first chunk now; the cron (services/storage/cron.ts) finishes a large organisation.
      c.executionCtx.waitUntil(purgeOrg(c.env, orgId, DEVICES_PER_REQUEST));
      return c.json({ id: orgId, deletedAt }, 202);
    },
  );
