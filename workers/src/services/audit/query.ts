import type { AuditEntryView } from '../../../../schema/wire/audit.ts';
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { decodeCursor, encodeCursor } from '../http/cursor.ts';

/** Filters of `GET /v1/audit`; every one is optional but the org. */
export interface AuditQuery {
  orgId: string;
  /** A user id or an API key id. */
  actor?: string | undefined;
  /** An operation id, e.g. `revokeApiKey`. */
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  /** Inclusive, epoch ms. */
  from?: number | undefined;
  /** Exclusive, epoch ms. */
  to?: number | undefined;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
  limit: number;
}

/** One row of the audit log as the API shows it. */

/** A place in the log's newest-first (ts, id) order: the last entry of a page. */
type Position = [ts: number, id: string];
const isPosition = (v: unknown): v is Position =>
  Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

const a = schema.auditLog;
type Row = typeof a.$inferSelect;

const view = (r: Row): AuditEntryView => ({
  id: r.id,
  ts: r.ts,
  actor: { type: r.actorType, id: r.actorId, role: r.actorRole, scopes: r.actorScopes },
  action: r.action,
  target: { type: r.targetType, id: r.targetId },
  outcome: r.outcome,
  clientAddress: r.clientAddress,
  userAgent: r.userAgent,
  requestId: r.requestId,
  changes: r.changes,
});

/**
 * One page of the org's audit log, newest first. The (org_id, ts, id) index serves the order
 * and the time range; the other filters narrow the rows it walks. A page is followed by a
 * `nextCursor` only when a further row exists, so the last page ends with null.
 */
export async function queryAudit(
  d1: D1Database,
  q: AuditQuery,
): Promise<{ entries: AuditEntryView[]; nextCursor: string | null }> {
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, isPosition);
  const rows = await db(d1)
    .select()
    .from(a)
    .where(
      and(
        eq(a.orgId, q.orgId),
        q.actor === undefined ? undefined : eq(a.actorId, q.actor),
        q.action === undefined ? undefined : eq(a.action, q.action),
        q.targetType === undefined ? undefined : eq(a.targetType, q.targetType),
        q.targetId === undefined ? undefined : eq(a.targetId, q.targetId),
        q.from === undefined ? undefined : gte(a.ts, q.from),
        q.to === undefined ? undefined : lt(a.ts, q.to),
        after === undefined ? undefined : lt(sql`(${a.ts}, ${a.id})`, sql`(${after[0]}, ${after[1]})`),
      ),
    )
    .orderBy(desc(a.ts), desc(a.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    entries: page.map(view),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.ts, last.id] satisfies Position) : null,
  };
}
