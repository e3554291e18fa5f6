import { eq } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { getMeta, setMeta } from './store.ts';

/** Who a DeviceHub belongs to. Written at enrollment; loaded from D1 if ever missing. */
export interface DeviceIdentity {
  deviceId: string;
  orgId: string;
  siteId: string | null;
  tokenHash: string;
  revoked: boolean;
}

const IDENTITY_KEY = 'identity';

export function storedIdentity(sql: SqlStorage): DeviceIdentity | undefined {
  return getMeta<DeviceIdentity>(sql, IDENTITY_KEY);
}

export function storeIdentity(sql: SqlStorage, identity: DeviceIdentity): void {
  setMeta(sql, IDENTITY_KEY, identity);
}

/** The device's identity from its D1 row, for an object whose own copy is missing. */
export async function identityFromD1(d1: D1Database, deviceId: string): Promise<DeviceIdentity | undefined> {
  const d = schema.devices;
  const row = await db(d1)
    .select({ orgId: d.orgId, siteId: d.siteId, tokenHash: d.tokenHash, revokedAt: d.revokedAt })
    .from(d)
    .where(eq(d.id, deviceId))
    .get();
  return (
    row && { deviceId, orgId: row.orgId, siteId: row.siteId, tokenHash: row.tokenHash, revoked: row.revokedAt !== null }
  );
}
