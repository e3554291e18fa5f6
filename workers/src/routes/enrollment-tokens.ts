import { and, desc, eq, exists, isNull, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { deviceKinds } from '../../../schema/index.ts';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert, auditInsertIf } from '../services/audit/record.ts';
import { newId, sha256Hex } from '../services/credentials/crypto.ts';
import { newEnrollmentToken } from '../services/credentials/tokens.ts';
import { idParams, idString } from '../services/http/query-schemas.ts';

export const createEnrollmentTokenBody = z.strictObject({
  kind: z.enum(deviceKinds).default('host'),
  siteId: idString('siteId').nullable().default(null),
  /** Hours until it expires: 1 hour to a year. */
  expiresInHours: z.number().int().min(1).max(8760).default(24),
  /** How many devices may enroll with it; null for any number until it expires. */
  maxUses: z.number().int().min(1).max(100_000).nullable().default(1),
});

type TokenRow = typeof schema.enrollmentTokens.$inferSelect;
const view = (r: TokenRow) => ({
  id: r.id,
  kind: r.kind,
  siteId: r.siteId,
  maxUses: r.maxUses,
  uses: r.uses,
  expiresAt: r.expiresAt,
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
});

const TAG = 'Enrollment tokens';
const TOKEN_ID = 'enr_01JD5X0A';
const tokenExample = {
  id: TOKEN_ID,
  kind: 'host',
  siteId: null,
  maxUses: 10,
  uses: 0,
  expiresAt: 1795086400000,
  createdAt: 1795000000000,
  revokedAt: null,
};
const notFoundExample = notFound(`enrollment token "${TOKEN_ID}"`).body();

/** Enrollment tokens: create (shown once, stored hashed), list, revoke. Admin only. */
export const enrollmentTokenRoutes = new Hono<AppEnv>()
  .post(
    '/',
    doc({
      operationId: 'createEnrollmentToken',
      summary: 'Create an enrollment token',
      description:
        'The token is shown once and stored hashed. `maxUses` defaults to 1; `null` allows any number until it expires.',
      tag: TAG,
      auth: 'caller',
      permission: 'credentials.manage',
      body: createEnrollmentTokenBody,
      example: { body: { kind: 'host', expiresInHours: 24, maxUses: 10 } },
      responses: {
        201: { description: 'The token, shown this once', example: { ...tokenExample, token: 'ewe_3kq9ZcV1xYb7' } },
        404: {
          description: 'The site is not in your org',
          example: notFound('site "site_01JD5X9K"').body(),
        },
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { orgId } = c.var.caller;
      if (body.siteId) {
        const site = await db(c.env.DB)
          .select()
          .from(schema.sites)
          .where(and(eq(schema.sites.id, body.siteId), eq(schema.sites.orgId, orgId)))
          .get();
        if (!site) throw notFound(`site "${body.siteId}"`);
      }
      const token = newEnrollmentToken();
      const now = Date.now();
      const row: TokenRow = {
        id: newId('enr'),
        orgId,
        siteId: body.siteId,
        tokenHash: await sha256Hex(token),
        kind: body.kind,
        maxUses: body.maxUses,
        uses: 0,
        expiresAt: now + body.expiresInHours * 3600_000,
        createdAt: now,
        revokedAt: null,
      };
      const d = db(c.env.DB);
      const { kind, siteId, maxUses, expiresAt } = row;
      await d.batch([
        d.insert(schema.enrollmentTokens).values(row),
        auditInsert(c, {
          targetType: 'enrollment_token',
          targetId: row.id,
          after: { kind, siteId, maxUses, expiresAt },
        }),
      ]);
      return c.json({ ...view(row), token }, 201);
    },
  )
  .get(
    '/',
    doc({
      operationId: 'listEnrollmentTokens',
      summary: "List the org's enrollment tokens (never their secrets)",
      tag: TAG,
      auth: 'caller',
      permission: 'credentials.manage',
      example: {},
      responses: { 200: { description: 'Newest first', example: { tokens: [tokenExample] } } },
    }),
    async (c) => {
      const rows = await db(c.env.DB)
        .select()
        .from(schema.enrollmentTokens)
        .where(eq(schema.enrollmentTokens.orgId, c.var.caller.orgId))
        .orderBy(desc(schema.enrollmentTokens.createdAt))
        .all();
      return c.json({ tokens: rows.map(view) });
    },
  )
  .delete(
    '/:id',
    doc({
      operationId: 'revokeEnrollmentToken',
      summary: 'Revoke an enrollment token',
      description: 'Devices already enrolled with it keep working.',
      tag: TAG,
      auth: 'caller',
      permission: 'credentials.manage',
      params: idParams('enrollment token'),
      example: { params: { id: TOKEN_ID } },
      responses: {
        200: { description: 'The revoked token', example: { ...tokenExample, revokedAt: 1795000600000 } },
        404: { description: 'No such active token in your org', example: notFoundExample },
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const t = schema.enrollmentTokens;
      const active = and(eq(t.id, id), eq(t.orgId, c.var.caller.orgId), isNull(t.revokedAt));
      const d = db(c.env.DB);
      const token = await d.select({ id: t.id }).from(t).where(active).get();
      if (!token) throw notFound(`enrollment token "${id}"`);
      const now = Date.now();
      // Written only if the revoke changes something, so a concurrent revoke leaves one row.
      const [, [revoked]] = await d.batch([
        auditInsertIf(
          c,
          { targetType: 'enrollment_token', targetId: id, before: { revokedAt: null }, after: { revokedAt: now } },
          exists(
            d
              .select({ one: sql`1` })
              .from(t)
              .where(active),
          ),
        ),
        d.update(t).set({ revokedAt: now }).where(active).returning(),
      ]);
      if (!revoked) throw notFound(`enrollment token "${id}"`);
      return c.json(view(revoked));
    },
  );
