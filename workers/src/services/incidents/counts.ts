import { and, eq, inArray, sql } from 'drizzle-orm';
import { db, schema } from '../../db.ts';

/** Open incidents of an org by what the fleet header shows. */
export interface IncidentCounts {
  firing: number;
  pending: number;
  /** Firing and not acknowledged: what still needs someone. */
  unacknowledged: number;
  /** Firing at critical severity. */
  critical: number;
}

/** Counts the org's open incidents in one query over the (org_id, state, started_at) index. */
export async function incidentCounts(d1: D1Database, orgId: string): Promise<IncidentCounts> {
  const i = schema.incidents;
  const firing = sql`${i.state} = 'firing'`;
  const row = await db(d1)
    .select({
      firing: sql<number>`coalesce(sum(${firing}), 0)`,
      pending: sql<number>`coalesce(sum(${i.state} = 'pending'), 0)`,
      unacknowledged: sql<number>`coalesce(sum(${firing} AND ${i.acknowledgedAt} IS NULL), 0)`,
      critical: sql<number>`coalesce(sum(${firing} AND ${i.severity} = 'critical'), 0)`,
    })
    .from(i)
    .where(and(eq(i.orgId, orgId), inArray(i.state, ['pending', 'firing'])))
    .get();
  return {
    firing: Number(row?.firing ?? 0),
    pending: Number(row?.pending ?? 0),
    unacknowledged: Number(row?.unacknowledged ?? 0),
    critical: Number(row?.critical ?? 0),
  };
}
