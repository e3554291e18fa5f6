import { sql } from 'drizzle-orm';
import { bare, schema, statement } from '../../db.ts';
import { DAY_MS } from '../../time.ts';

/** Rows per DELETE statement: one short write, so requests queued behind it are not held up. */
export const AUDIT_SWEEP_CHUNK = 5_000;
/** Statements per cron run; what is left goes in the next run. */
const MAX_CHUNKS = 10;

/**
 * Deletes audit rows older than their org's `audit_retention_days`, in bounded chunks, until
 * none is left or `deadline` passes. Idempotent: a repeated or overlapping run deletes nothing
 * twice. Returns the rows deleted.
 */
export async function sweepAudit(d1: D1Database, now: number, deadline: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS && Date.now() < deadline; i++) {
    const deleted = await sweepChunk(d1, now);
    total += deleted;
    if (deleted < AUDIT_SWEEP_CHUNK) break;
  }
  return total;
}

async function sweepChunk(d1: D1Database, now: number): Promise<number> {
  const o = schema.organisations;
  const t = schema.auditLog;
  // Organisations as the outer loop: each org costs one range probe of the (org_id, ts, id) index.
  const result = await statement(
    d1,
    sql`DELETE FROM ${t} WHERE rowid IN (
        SELECT r.rowid FROM ${o} o CROSS JOIN ${t} r
        WHERE r.${bare(t.orgId)} = o.${bare(o.id)} AND r.${bare(t.ts)} < ${now} - o.${bare(o.auditRetentionDays)} * ${DAY_MS}
        LIMIT ${AUDIT_SWEEP_CHUNK})`,
  ).run();
  return result.meta.changes;
}
