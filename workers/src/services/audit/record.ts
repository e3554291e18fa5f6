import { getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Context } from 'hono';
import type { AuditOutcome, Role } from '../../../../schema/index.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { newId } from '../credentials/crypto.ts';

/** A statement a service runs in its own D1 batch for the caller, such as an audit insert. */
export type Alongside = readonly BatchItem<'sqlite'>[];

/** What one audited request changed. */
export interface AuditEntry {
  /** e.g. `device`, `api_key`, `member`, `invitation`, `organisation`, `session`. */
  targetType: string;
  targetId: string | null;
  /** The changed fields before and after; never secrets (hashes, tokens, passwords). */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  outcome?: AuditOutcome;
  /** Defaults to the operation id `doc()` recorded for the request. */
  action?: string;
  /**
   * For requests with no caller yet (sign-up, accepting an invitation, a refused request): who
   * acted. An API key's `scopes` are recorded with it.
   */
  actor?:
    | { type: 'user'; id: string; role: Role | null; orgId: string }
    | { type: 'api_key'; id: string; role: null; orgId: string; scopes: readonly string[] };
}

/**
 * The insert of one audit row for the current request. Put it in the same `db.batch()` as the
 * change it records, so the change and its record commit together or not at all.
 */
export function auditInsert(c: Context<AppEnv>, entry: AuditEntry) {
  return db(c.env.DB).insert(schema.auditLog).values(auditRow(c, entry));
}

/**
 * {@link auditInsert} that writes only when `condition` holds when it runs. For a change that
 * may turn out to be a no-op (revoking what another request just revoked): put it before the
 * change in the batch, with the change's own condition, e.g. `exists(<the active row>)`.
 */
export function auditInsertIf(c: Context<AppEnv>, entry: AuditEntry, condition: SQL) {
  const row: Record<string, unknown> = auditRow(c, entry);
  // INSERT … SELECT lists every column in the table's order; values go through each column's own mapping.
  const values = Object.entries(getTableColumns(schema.auditLog)).map(([key, column]) => {
    const value = row[key];
    return value === null || value === undefined ? sql`NULL` : sql`${column.mapToDriverValue(value)}`;
  });
  return db(c.env.DB)
    .insert(schema.auditLog)
    .select(sql`SELECT ${sql.join(values, sql`, `)} WHERE ${condition}`);
}

function auditRow(c: Context<AppEnv>, entry: AuditEntry): typeof schema.auditLog.$inferInsert {
  const caller = c.get('caller') as AppEnv['Variables']['caller'] | undefined;
  const actor = entry.actor ?? actorOf(caller);
  const changes = entry.before || entry.after ? { before: entry.before, after: entry.after } : null;
  return {
    id: newId('aud'),
    orgId: actor.orgId,
    ts: Date.now(),
    actorType: actor.type,
    actorId: actor.id,
    actorRole: actor.role,
    actorScopes: actor.type === 'api_key' ? [...actor.scopes] : null,
    action: entry.action ?? c.get('operationId') ?? 'unknown',
    targetType: entry.targetType,
    targetId: entry.targetId,
    outcome: entry.outcome ?? 'success',
    clientAddress: c.req.header('cf-connecting-ip') ?? null,
    userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
    requestId: c.get('requestId') ?? null,
    changes,
  };
}

function actorOf(caller: AppEnv['Variables']['caller'] | undefined) {
  if (!caller) throw new Error('auditInsert needs a caller or an explicit actor');
  return caller.via === 'api-key'
    ? { type: 'api_key' as const, id: caller.credentialId, role: null, orgId: caller.orgId, scopes: caller.scopes }
    : { type: 'user' as const, id: caller.userId ?? caller.credentialId, role: caller.role, orgId: caller.orgId };
}
