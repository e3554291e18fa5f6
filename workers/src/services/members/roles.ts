import { sql } from 'drizzle-orm';
import type { Role } from '../../../../schema/index.ts';
import type { Caller } from '../../app-env.ts';
import { type Db, schema } from '../../db.ts';
import { ApiError, forbidden } from '../../errors.ts';
import { batchGuard } from './guard.ts';
import { atLeast, holds, type Principal, refusalMessage, ROLE_ORDER, ROLE_SCOPE } from '../access/permissions.ts';

/** The role a caller acts with: a user's role, or for an API key the highest role its scopes stand for. */
export function effectiveRole(caller: Caller): Role {
  if (caller.role) return caller.role;
  const byKey = [...ROLE_ORDER].reverse().find((r) => ROLE_SCOPE[r] && caller.scopes.includes(ROLE_SCOPE[r]));
  return byKey ?? 'viewer';
}

const principalOf = (caller: Caller): Principal =>
  caller.role !== null ? { via: 'session', role: caller.role } : { via: 'api-key', scopes: caller.scopes };

/**
 * Refuses (403 `forbidden`) a caller who may not give or take away `roles`: any owner among them
 * needs `org.own`, and nobody may hand out a role above their own.
 */
export function assertMayGrant(caller: Caller, ...roles: Role[]): void {
  if (roles.includes('owner') && !holds(principalOf(caller), 'org.own')) throw forbidden(refusalMessage('org.own'));
  const own = effectiveRole(caller);
  const above = roles.find((r) => !atLeast(own, r));
  if (above) throw forbidden(`you cannot grant or change the "${above}" role: it is above your own ("${own}")`);
}

/** 409 `last_owner`: the change would leave the organisation without an owner. */
export const lastOwner = () =>
  new ApiError(
    409,
    'last_owner',
    'the organisation must keep an owner: make another member owner first (or transfer ownership)',
  );

/** How many owners the organisation has now. */
export async function ownerCount(d: Db, orgId: string): Promise<number> {
  const m = schema.memberships;
  const row = await d
    .select({ n: sql<number>`count(*)` })
    .from(m)
    .where(sql`${m.orgId} = ${orgId} AND ${m.role} = 'owner'`)
    .get();
  return row?.n ?? 0;
}

/** A {@link batchGuard} that fails the batch when the organisation has no owner left. */
export function ownerGuard(d: Db, orgId: string) {
  const m = schema.memberships;
  return batchGuard(d, orgId, sql`SELECT 1 FROM ${m} WHERE ${m.orgId} = ${orgId} AND ${m.role} = 'owner'`);
}
