import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { AlertScope } from '../../../../schema/wire/alerts.ts';
import { db, schema, type Db } from '../../db.ts';
import { activeRule, type ActiveRule } from './rules.ts';

const r = schema.alertRules;
const dv = schema.devices;

/**
 * Whether a rule's scope covers the device whose id, site and tags the three SQL expressions
 * give: the device itself, its site, one of its tags, or the whole organisation.
 */
export function scopeCovers(deviceId: SQL, siteId: SQL, tags: SQL): SQL {
  return sql`(${r.scopeKind} = 'org'
    OR (${r.scopeKind} = 'device' AND ${r.scopeValue} = ${deviceId})
    OR (${r.scopeKind} = 'site' AND ${r.scopeValue} = ${siteId})
    OR (${r.scopeKind} = 'tag' AND ${r.scopeValue} IN (SELECT value FROM json_each(${tags}))))`;
}

/** Rule condition: covers the org's device `deviceId` (false when there is no such device). */
export const coversDevice = (orgId: string, deviceId: string): SQL =>
  sql`EXISTS (SELECT 1 FROM ${dv} WHERE ${dv.id} = ${deviceId} AND ${dv.orgId} = ${orgId} AND ${scopeCovers(
    sql`${dv.id}`,
    sql`${dv.siteId}`,
    sql`${dv.tags}`,
  )})`;

/** What a DeviceHub loads: its device's site and tags, and the enabled rules that cover it. */
export interface DeviceRules {
  device: { siteId: string | null; tags: string[] } | null;
  rules: ActiveRule[];
}

/** One D1 round trip: the device row and the enabled rules covering it. */
export async function rulesForDevice(d1: D1Database, orgId: string, deviceId: string): Promise<DeviceRules> {
  const d = db(d1);
  const [device, rows] = await d.batch([
    d
      .select({ siteId: dv.siteId, tags: dv.tags })
      .from(dv)
      .where(and(eq(dv.id, deviceId), eq(dv.orgId, orgId))),
    d
      .select()
      .from(r)
      .where(and(eq(r.orgId, orgId), eq(r.enabled, true), coversDevice(orgId, deviceId)))
      .orderBy(asc(r.id)),
  ]);
  return { device: device[0] ?? null, rules: rows.map(activeRule) };
}

/**
 * The organisation's live devices a scope covers, by name, at most `limit` of them (and one
 * more, so the caller can tell there were more).
 */
export async function devicesInScope(d: Db, orgId: string, scope: AlertScope, limit: number): Promise<string[]> {
  const where = [eq(dv.orgId, orgId), isNull(dv.revokedAt)];
  if (scope.kind === 'device') where.push(eq(dv.id, scope.value ?? ''));
  if (scope.kind === 'site') where.push(eq(dv.siteId, scope.value ?? ''));
  if (scope.kind === 'tag')
    where.push(sql`EXISTS (SELECT 1 FROM json_each(${dv.tags}) WHERE value = ${scope.value ?? ''})`);
  const rows = await d
    .select({ id: dv.id })
    .from(dv)
    .where(and(...where))
    .orderBy(asc(dv.name), asc(dv.id))
    .limit(limit + 1)
    .all();
  return rows.map((row) => row.id);
}
