import { and, asc, eq } from 'drizzle-orm';
import type { Role } from '../../../../schema/index.ts';
import { type Db, schema } from '../../db.ts';
import { notFound } from '../../errors.ts';

/** A member as the API shows it. */
export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: number;
}

const columns = {
  userId: schema.users.id,
  email: schema.users.email,
  name: schema.users.name,
  role: schema.memberships.role,
  joinedAt: schema.memberships.createdAt,
};

/** The organisation's members, oldest first. */
export function listMembers(d: Db, orgId: string): Promise<Member[]> {
  return d
    .select(columns)
    .from(schema.memberships)
    .innerJoin(schema.users, eq(schema.users.id, schema.memberships.userId))
    .where(eq(schema.memberships.orgId, orgId))
    .orderBy(asc(schema.memberships.createdAt), asc(schema.users.id))
    .all();
}

/** One member of the organisation, or 404 (also for a user who is only in another org). */
export async function findMember(d: Db, orgId: string, userId: string): Promise<Member> {
  const row = await d
    .select(columns)
    .from(schema.memberships)
    .innerJoin(schema.users, eq(schema.users.id, schema.memberships.userId))
    .where(and(eq(schema.memberships.orgId, orgId), eq(schema.memberships.userId, userId)))
    .get();
  if (!row) throw memberNotFound(userId);
  return row;
}

export const memberNotFound = (userId: string) => notFound(`member "${userId}"`);

/** Whether a user with this (normalised) email is already a member of the organisation. */
export async function isMemberByEmail(d: Db, orgId: string, email: string): Promise<boolean> {
  const row = await d
    .select({ userId: schema.users.id })
    .from(schema.users)
    .innerJoin(
      schema.memberships,
      and(eq(schema.memberships.userId, schema.users.id), eq(schema.memberships.orgId, orgId)),
    )
    .where(eq(schema.users.email, email))
    .get();
  return row !== undefined;
}
