import { eq, type SQL, sql } from 'drizzle-orm';
import { type Db, schema } from '../../db.ts';

const GUARD_FAILED = 'malformed JSON';

/**
 * A statement for a D1 batch that fails it, and so rolls the whole batch back, unless `exists`
 * (a subquery) finds a row. It settles races a read before the batch cannot (two owners demoting
 * each other at once; an invitation revoked while it is accepted). SQLite has no RAISE outside
 * triggers, so the failure is parsing invalid JSON. It selects from the org's own row, which the
 * batch's caller knows exists, because drizzle batches only builder queries.
 */
export function batchGuard(d: Db, orgId: string, exists: SQL) {
  const o = schema.organisations;
  return d
    .select({ ok: sql`json(CASE WHEN EXISTS (${exists}) THEN '0' ELSE 'guard failed' END)` })
    .from(o)
    .where(eq(o.id, orgId));
}

/** Whether a failed batch was failed by a {@link batchGuard}. */
export const failedGuard = (err: unknown) => String((err as Error | undefined)?.message ?? err).includes(GUARD_FAILED);

/** A {@link batchGuard} placed right after an update or delete: fails the batch if it changed no row. */
export const changedGuard = (d: Db, orgId: string) => batchGuard(d, orgId, sql`SELECT 1 WHERE changes() > 0`);
