import { and, count, eq, gte, inArray, sql, sum } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { HOUR_MS } from '../../time.ts';

/** What `GET /v1/summary` counts, read in one D1 batch (one round trip). */
export interface OrgCounts {
  devices: { lastSeenAt: number | null; rawBytes: number; rawSamples: number }[];
  series: number;
  samplesSince: number;
  rollupRows: { '1m': number; '1h': number; '1d': number };
}

/**
 * Devices, series, samples stored since `since` and rollup rows of one org. Samples come from the
 * hour rollups overlapping [since, now) (the minutes are in the DeviceHubs), so they count from
 * the start of `since`'s hour; the 1-minute rows are what each DeviceHub last reported on its
 * device row.
 */
export async function orgCounts(d1: D1Database, orgId: string, since: number): Promise<OrgCounts> {
  const d = db(d1);
  const { devices, series, rollups1h, rollups1d } = schema;
  const ofOrg = (sid: typeof rollups1h.sid | typeof rollups1d.sid) =>
    inArray(sid, d.select({ num: series.num }).from(series).where(eq(series.orgId, orgId)));
  const [deviceRows, seriesCount, recent, r1m, r1h, r1d] = await d.batch([
    d
      .select({ lastSeenAt: devices.lastSeenAt, rawBytes: devices.rawBytes, rawSamples: devices.rawSamples })
      .from(devices)
      .where(eq(devices.orgId, orgId)),
    d.select({ n: count() }).from(series).where(eq(series.orgId, orgId)),
    d
      .select({ n: sum(rollups1h.count) })
      .from(rollups1h)
      .where(and(ofOrg(rollups1h.sid), gte(rollups1h.bucket, since - (since % HOUR_MS)))),
    d
      .select({ n: sum(devices.minuteRows) })
      .from(devices)
      .where(eq(devices.orgId, orgId)),
    d.select({ n: count() }).from(rollups1h).where(ofOrg(rollups1h.sid)),
    d.select({ n: count() }).from(rollups1d).where(ofOrg(rollups1d.sid)),
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
