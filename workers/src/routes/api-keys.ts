import { and, desc, eq, exists, isNull, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { apiKeyScopes } from '../../../schema/index.ts';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { forbidden, notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { auditInsert, auditInsertIf } from '../services/audit/record.ts';
import { closeStreams } from '../services/streams/close.ts';
import { newId, sha256Hex } from '../services/credentials/crypto.ts';
import { apiKeyPrefix, newApiKey } from '../services/credentials/tokens.ts';
import { idParams } from '../services/http/query-schemas.ts';
import { nonBlank } from '../../../schema/wire/text.ts';

export const createApiKeyBody = z.strictObject({
  name: nonBlank('name is required, e.g. "grafana"').max(100),
  scopes: z
    .array(z.enum(apiKeyScopes))
    .min(1, 'scopes must name at least one of read, write, admin')
    .transform((s) => [...new Set(s)]),
});

type KeyRow = typeof schema.apiKeys.$inferSelect;
const view = (r: KeyRow) => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdAt: r.createdAt,
  lastUsedAt: r.lastUsedAt,
  revokedAt: r.revokedAt,
});

const TAG = 'API keys';
const KEY_ID = 'key_01JD5X3M';
const keyExample = {
  id: KEY_ID,
  name: 'grafana',
  prefix: 'ewk_AbCdEfGh',
  scopes: ['read'],
  createdAt: 1795000000000,
  lastUsedAt: 1795000420000,
  revokedAt: null,
};

/** API keys: create (the key is shown once, stored as a hash), list by prefix, revoke. Admin only. */
export const apiKeyRoutes = new Hono<AppEnv>()
  .post(
    '/',
    doc({
      operationId: 'createApiKey',
      summary: 'Create an API key',
      description: 'The key is shown once and stored as a SHA-256. A key can be given only scopes its creator has.',
      tag: TAG,
      auth: 'caller',
      permission: 'credentials.manage',
      body: createApiKeyBody,
      example: { body: { name: 'grafana', scopes: ['read'] } },
      responses: {
        201: {
          description: 'The key, shown this once',
          example: { ...keyExample, lastUsedAt: null, key: 'ewk_AbCdEfGhIjKlMnOpQrStUvWxYz012345' },
        },
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { caller } = c.var;
      // A key may carry only scopes its creator has, so a key can't widen access.
      const extra = body.scopes.filter((s) => !caller.scopes.includes(s));
      if (extra.length > 0) throw forbidden(`you cannot grant scopes you lack: ${extra.join(', ')}`);
      const key = newApiKey();
      const row: KeyRow = {
        id: newId('key'),
        orgId: caller.orgId,
        name: body.name,
        prefix: apiKeyPrefix(key),
        keyHash: await sha256Hex(key),
        scopes: body.scopes,
        createdBy: caller.userId,
        createdAt: Date.now(),
        lastUsedAt: null,
        revokedAt: null,
      };
      const d = db(c.env.DB);
      await d.batch([
        d.insert(schema.apiKeys).values(row),
        // The key, its hash and its visible prefix (part of the secret) stay out of the record.
        auditInsert(c, { targetType: 'api_key', targetId: row.id, after: { name: row.name, scopes: row.scopes } }),
      ]);
      return c.json({ ...view(row), key }, 201);
    },
  )
  .get(
    '/',
    doc({
      operationId: 'listApiKeys',
      summary: "List the org's API keys (prefixes, never keys)",
      description: '`lastUsedAt` is when the key last authenticated, to the minute.',
      tag: TAG,
      auth: 'caller',
      permission: 'credentials.manage',
      example: {},
      responses: { 200: { description: 'Newest first', example: { keys: [keyExample] } } },
    }),
    async (c) => {
      const rows = await db(c.env.DB)
        .select()
        .from(schema.apiKeys)
        .where(eq(schema.apiKeys.orgId, c.var.caller.orgId))
        .orderBy(desc(schema.apiKeys.createdAt))
        .all();
      return c.json({ keys: rows.map(view) });
    },
  )
  .delete(
    '/:id',
    doc({
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key',
      tag: TAG,
      auth: 'caller',
      permission: 'credentials.manage',
      params: idParams('API key'),
      example: { params: { id: KEY_ID } },
      responses: {
        200: { description: 'The revoked key', example: { ...keyExample, revokedAt: 1795000600000 } },
        404: {
          description: 'No such active key in your org',
          example: notFound(`API key "${KEY_ID}"`).body(),
        },
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { orgId } = c.var.caller;
      const k = schema.apiKeys;
      const active = and(eq(k.id, id), eq(k.orgId, orgId), isNull(k.revokedAt));
      const d = db(c.env.DB);
      const key = await d.select({ id: k.id, name: k.name }).from(k).where(active).get();
      if (!key) throw notFound(`API key "${id}"`);
      const now = Date.now();
      // The row is written only if the revoke changes something: a concurrent revoke of the same key writes one row, not two.
      const [, [revoked]] = await d.batch([
        auditInsertIf(
          c,
          {
            targetType: 'api_key',
            targetId: id,
            before: { name: key.name, revokedAt: null },
            after: { revokedAt: now },
          },
          exists(
            d
              .select({ one: sql`1` })
              .from(k)
              .where(active),
          ),
        ),
        d.update(k).set({ revokedAt: now }).where(active).returning(),
      ]);
      if (!revoked) throw notFound(`API key "${id}"`);
      await closeStreams(c.env, orgId, { credentialIds: [id] });
      return c.json(view(revoked));
    },
  );
