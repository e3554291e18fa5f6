import { and, count, eq, sql } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { HOUR_MS } from '../../time.ts';

/** What `GET /v1/summary` counts, read in one D1 batch (one round trip). */
export interface OrgCounts {
  devices: { lastSeenAt: number | null; live: boolean; rawBytes: number; rawSamples: number }[];
  series: number;
  samplesSince: number;
  rollupRows: { '1m': number; '1h': number; '1d': number };
}

/**
 * Devices, series, samples stored since `since` and rollup rows of one org, all from the device
 * rows: each DeviceHub reports its rollup rows and the samples of its latest two clock hours
 * (objects/device-hub/device-report.ts). Samples count from the start of `since`'s hour.
 */
export async function orgCounts(d1: D1Database, orgId: string, since: number): Promise<OrgCounts> {
  const d = db(d1);
  const { devices, series } = schema;
  const from = since - (since % HOUR_MS);
  const [deviceRows, seriesCount, totals] = await d.batch([
    d
      .select({
        lastSeenAt: devices.lastSeenAt,
        live: devices.live,
        rawBytes: devices.rawBytes,
        rawSamples: devices.rawSamples,
      })
      .from(devices)
      .where(eq(devices.orgId, orgId)),
    d.select({ n: count() }).from(series).where(eq(series.orgId, orgId)),
    d
      .select({
        samples: sql<number>`COALESCE(SUM(
          CASE WHEN ${devices.samplesHour} >= ${from} THEN ${devices.samplesInHour} ELSE 0 END +
          CASE WHEN ${devices.samplesHour} - ${HOUR_MS} >= ${from} THEN ${devices.samplesInPreviousHour} ELSE 0 END), 0)`,
        minutes: sql<number>`COALESCE(SUM(${devices.minuteRows}), 0)`,
        hours: sql<number>`COALESCE(SUM(${devices.hourRows}), 0)`,
        days: sql<number>`COALESCE(SUM(${devices.dayRows}), 0)`,
      })
      .from(devices)
      .where(eq(devices.orgId, orgId)),
  ]);
  const t = totals[0];
  return {
    devices: deviceRows,
    series: Number(seriesCount[0]?.n ?? 0),
    samplesSince: Number(t?.samples ?? 0),
    rollupRows: { '1m': Number(t?.minutes ?? 0), '1h': Number(t?.hours ?? 0), '1d': Number(t?.days ?? 0) },
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
