import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { queryAudit } from '../services/audit/query.ts';
import { queryTime } from '../services/history/time-query.ts';
import { cursorParam, idString, pageLimit } from '../services/http/query-schemas.ts';

const name = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, `${what} must be a name of [A-Za-z0-9_.-], starting with a letter`);

export const listAuditQuery = z
  .strictObject({
    actor: idString('actor').optional().describe('A user id or an API key id'),
    action: name('action').optional().describe('An operation id, e.g. revokeApiKey'),
    targetType: name('targetType').optional().describe('e.g. device, api_key, member'),
    targetId: idString('targetId').optional(),
    from: queryTime.optional(),
    to: queryTime.optional(),
    cursor: cursorParam.optional(),
    limit: pageLimit(100, 1000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

const entryExample = {
  id: 'aud_01JD5Z4C',
  ts: 1795000600000,
  actor: { type: 'user', id: 'usr_01JD5V9Q', role: 'admin', scopes: null },
  action: 'revokeApiKey',
  target: { type: 'api_key', id: 'key_01JD5X3M' },
  outcome: 'success',
  clientAddress: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
  requestId: 'f3b0c442-98fc-4c1c-a2b4-8f1e6a1d2c3b',
  changes: { before: { revokedAt: null }, after: { revokedAt: 1795000600000 } },
};

/** `GET /v1/audit`: the org's audit log, newest first, filtered and paged. */
export const auditRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'listAudit',
    summary: "Read the org's audit log",
    description:
      'One row per state-changing request by a user or an API key, written in the same D1 transaction as the change, newest first. ' +
      '`actor` is the user (with the role they had) or the API key (with its scopes); `action` is the operation id; ' +
      '`changes` is a small before/after of the changed fields and never holds a secret. ' +
      'A state-changing request refused for want of a role or scope (403 `forbidden`) writes a row with outcome `denied` and no changes; ' +
      "refused reads write nothing. Rows are kept for the org's `auditRetentionDays` (365 by default). " +
      'Filter by actor, action, target and `[from, to)`; page with the returned `nextCursor`.',
    tag: 'Audit',
    auth: 'caller',
    permission: 'audit.read',
    query: listAuditQuery,
    example: { query: { targetType: 'api_key', from: '2026-11-22T00:00:00Z', limit: '50' } },
    responses: {
      200: { description: 'One page of entries, newest first', example: { entries: [entryExample], nextCursor: null } },
    },
  }),
  async (c) => {
    return c.json(await queryAudit(c.env.DB, { orgId: c.var.caller.orgId, ...c.req.valid('query') }));
  },
);
