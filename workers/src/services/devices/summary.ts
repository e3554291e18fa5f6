import { and, count, eq, gte, sql, sum } from 'drizzle-orm';
import { db, schema } from '../../db.ts';

/** What `GET /v1/summary` counts, read in one D1 batch (one round trip). */
export interface OrgCounts {
  devices: { lastSeenAt: number | null; rawBytes: number; rawSamples: number }[];
  series: number;
  samplesSince: number;
  rollupRows: { '1m': number; '1h': number; '1d': number };
}

/** Devices, series, samples stored since `since` (from 1-minute rollups) and rollup rows of one org. */
export async function orgCounts(d1: D1Database, orgId: string, since: number): Promise<OrgCounts> {
  const d = db(d1);
  const { devices, series, rollups1m, rollups1h, rollups1d } = schema;
  const [deviceRows, seriesCount, recent, r1m, r1h, r1d] = await d.batch([
    d
      .select({ lastSeenAt: devices.lastSeenAt, rawBytes: devices.rawBytes, rawSamples: devices.rawSamples })
      .from(devices)
      .where(eq(devices.orgId, orgId)),
    d.select({ n: count() }).from(series).where(eq(series.orgId, orgId)),
    d
      .select({ n: sum(rollups1m.count) })
      .from(rollups1m)
      .where(and(eq(rollups1m.orgId, orgId), gte(rollups1m.bucket, since))),
    d.select({ n: count() }).from(rollups1m).where(eq(rollups1m.orgId, orgId)),
    d.select({ n: count() }).from(rollups1h).where(eq(rollups1h.orgId, orgId)),
    d.select({ n: count() }).from(rollups1d).where(eq(rollups1d.orgId, orgId)),
  ]);
  const n = (r: { n: number | string | null }[]) => Number(r[0]?.n ?? 0);
  return {
    devices: deviceRows,
    series: n(seriesCount),
    samplesSince: n(recent),
    rollupRows: { '1m': n(r1m), '1h': n(r1h), '1d': n(r1d) },
  };
}

/** The first of `ids` that is not a device of the org, if any; one query however many ids (via `json_each`). */
export async function firstMissingDevice(
  d1: D1Database,
  orgId: string,
  ids: readonly string[],
): Promise<string | undefined> {
  const { devices } = schema;
  const found = await db(d1)
    .select({ id: devices.id })
    .from(devices)
    .where(and(eq(devices.orgId, orgId), sql`${devices.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`));
  const known = new Set(found.map((r) => r.id));
  return ids.find((id) => !known.has(id));
}
