import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { organisations, roles } from './tenancy.ts';

export const auditOutcomes = ['success', 'denied'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/**
 * One row per state-changing request by a user or an API key, written in the same D1 batch as
 * the change it records. `changes` holds a small before/after of the changed fields, never a
 * secret (passwords, tokens and key material are left out by the writer).
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    ts: integer('ts').notNull(),
    actorType: text('actor_type', { enum: ['user', 'api_key'] }).notNull(),
    /** User id, or API key id. */
    actorId: text('actor_id').notNull(),
    /** The user's role at the time; null for an API key (see `actorScopes`). */
    actorRole: text('actor_role', { enum: roles }),
    actorScopes: text('actor_scopes', { mode: 'json' }).$type<string[]>(),
    /** The operation id, e.g. `updateDevice`. */
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    outcome: text('outcome', { enum: auditOutcomes }).notNull(),
    clientAddress: text('client_address'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    changes: text('changes', { mode: 'json' }).$type<{
      before?: Record<string, unknown>;
      after?: Record<string, unknown>;
    }>(),
  },
  (t) => [index('audit_org_ts_idx').on(t.orgId, t.ts, t.id), index('audit_org_actor_idx').on(t.orgId, t.actorId, t.ts)],
);
