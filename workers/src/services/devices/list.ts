import { and, asc, eq, gt, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { DeviceStatus, DeviceView } from '../../../../schema/wire/telemetry.ts';
import { db, schema } from '../../db.ts';
import { decodeCursor, encodeCursor } from '../http/cursor.ts';
import { deviceStatus, withExactSeen } from './status.ts';
import type { deviceListQuery } from './schemas.ts';
import { settings } from '../../settings.ts';

export type DeviceRow = typeof schema.devices.$inferSelect;

export type DeviceListQuery = z.infer<typeof deviceListQuery>;

/** The org's online window in seconds (the `ONLINE_WINDOW_SECONDS` var). */
export function onlineWindowSeconds(env: Env): number {
  return settings(env).ONLINE_WINDOW_SECONDS;
}

export function deviceView(row: DeviceRow, env: Env, now: number): DeviceView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    siteId: row.siteId,
    tags: row.tags,
    agentVersion: row.agentVersion,
    lastSeenAt: row.lastSeenAt,
    status: deviceStatus(row, now, onlineWindowSeconds(env)),
    createdAt: row.createdAt,
    series: { count: row.seriesCount, limit: settings(env).SERIES_PER_DEVICE },
  };
}

/** A place in the list's (name, id) order. */
interface Position {
  name: string;
  id: string;
}

const isPosition = (v: unknown): v is Position =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Position).name === 'string' &&
  typeof (v as Position).id === 'string';

/**
 * The SQL form of `deviceStatus` at `now`, so a status filter pages correctly: online while live
 * or within the window, stale within ten windows, offline after that or when never seen.
 */
function statusFilter(status: DeviceStatus, now: number, windowSeconds: number): SQL | undefined {
  const { lastSeenAt: seen, live } = schema.devices;
  const onlineSince = now - windowSeconds * 1000;
  const staleSince = now - windowSeconds * 10_000;
  if (status === 'online') return or(eq(live, true), sql`${seen} >= ${onlineSince}`);
  if (status === 'stale') return and(eq(live, false), lt(seen, onlineSince), sql`${seen} >= ${staleSince}`);
  return and(eq(live, false), or(isNull(seen), lt(seen, staleSince)));
}

/** One page of the org's devices in (name, id) order, filtered in SQL. */
export async function listDevices(
  env: Env,
  orgId: string,
  q: DeviceListQuery,
): Promise<{ devices: DeviceView[]; nextCursor: string | null }> {
  const d = schema.devices;
  const now = Date.now();
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, isPosition);
  const rows = await db(env.DB)
    .select()
    .from(d)
    .where(
      and(
        eq(d.orgId, orgId),
        q.site === undefined ? undefined : eq(d.siteId, q.site),
        q.kind === undefined ? undefined : eq(d.kind, q.kind),
        q.tag === undefined ? undefined : sql`EXISTS (SELECT 1 FROM json_each(${d.tags}) WHERE value = ${q.tag})`,
        q.status === undefined ? undefined : statusFilter(q.status, now, onlineWindowSeconds(env)),
        after === undefined ? undefined : or(gt(d.name, after.name), and(eq(d.name, after.name), gt(d.id, after.id))),
      ),
    )
    .orderBy(asc(d.name), asc(d.id))
    .limit(q.limit + 1)
    .all();
  const page = await withExactSeen(env, rows.slice(0, q.limit));
  const last = page.at(-1);
  return {
    devices: page.map((r) => deviceView(r, env, now)),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ name: last.name, id: last.id }) : null,
  };
}
