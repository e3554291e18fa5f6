import { and, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import type { Role } from '../../../../schema/index.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { badRequest } from '../../errors.ts';
import { auditInsert } from '../audit/record.ts';
import { ROLE_ORDER } from '../access/permissions.ts';
import { closeStreams } from '../streams/close.ts';
import { findMember, type Member } from './members.ts';
import { failedGuard } from './guard.ts';
import { assertMayGrant, lastOwner, ownerCount, ownerGuard } from './roles.ts';

type Ctx = Context<AppEnv>;
const m = schema.memberships;
const ofMember = (orgId: string, userId: string) => and(eq(m.orgId, orgId), eq(m.userId, userId));
const lowers = (from: Role, to: Role) => ROLE_ORDER.indexOf(to) < ROLE_ORDER.indexOf(from);

/** Runs a batch that ends with the owner guard; a guard failure is the 409 `last_owner`. */
async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (failedGuard(err)) throw lastOwner();
    throw err;
  }
}

/** Refuses a change that would take the organisation's only owner away. */
async function assertNotLastOwner(c: Ctx, member: Member): Promise<void> {
  if (member.role === 'owner' && (await ownerCount(db(c.env.DB), c.var.caller.orgId)) <= 1) throw lastOwner();
}

/**
 * Gives a member another role, with its audit row in the same batch. A lowered role ends the
 * member's open streams, so they reconnect with what they may now see.
 */
export async function changeRole(c: Ctx, userId: string, role: Role): Promise<Member> {
  const { orgId } = c.var.caller;
  const d = db(c.env.DB);
  const member = await findMember(d, orgId, userId);
  assertMayGrant(c.var.caller, member.role, role);
  if (role !== 'owner') await assertNotLastOwner(c, member);
  await guarded(() =>
    d.batch([
      d.update(m).set({ role }).where(ofMember(orgId, userId)),
      auditInsert(c, { targetType: 'member', targetId: userId, before: { role: member.role }, after: { role } }),
      ownerGuard(d, orgId),
    ]),
  );
  if (lowers(member.role, role)) await closeStreams(c.env, orgId, { userIds: [userId] });
  return { ...member, role };
}

/**
 * Removes a member (or the caller, leaving): the membership and the user's sessions in this
 * organisation go in one batch with the audit row; then their open streams are closed.
 */
export async function removeMember(c: Ctx, userId: string): Promise<void> {
  const { orgId } = c.var.caller;
  const d = db(c.env.DB);
  const member = await findMember(d, orgId, userId);
  const leaving = c.var.caller.via === 'session' && userId === c.var.caller.userId;
  if (!leaving) assertMayGrant(c.var.caller, member.role);
  await assertNotLastOwner(c, member);
  const s = schema.sessions;
  await guarded(() =>
    d.batch([
      d.delete(m).where(ofMember(orgId, userId)),
      d.delete(s).where(and(eq(s.orgId, orgId), eq(s.userId, userId))),
      auditInsert(c, { targetType: 'member', targetId: userId, before: { role: member.role, email: member.email } }),
      ownerGuard(d, orgId),
    ]),
  );
  await closeStreams(c.env, orgId, { userIds: [userId] });
}

/**
 * Makes `userId` an owner and the calling owner an admin, in one batch. The caller must be a
 * signed-in owner (`org.own`, which no API key holds), so `caller.userId` is theirs.
 */
export async function transferOwnership(c: Ctx, userId: string): Promise<{ owner: Member; previousOwner: Member }> {
  const { orgId } = c.var.caller;
  const callerId = c.var.caller.userId;
  if (!callerId) throw badRequest('invalid_input', 'ownership is transferred by a signed-in owner');
  if (userId === callerId) throw badRequest('invalid_input', 'transfer ownership to another member', 'userId');
  const d = db(c.env.DB);
  const target = await findMember(d, orgId, userId);
  const self = await findMember(d, orgId, callerId);
  await guarded(() =>
    d.batch([
      d.update(m).set({ role: 'owner' }).where(ofMember(orgId, userId)),
      d.update(m).set({ role: 'admin' }).where(ofMember(orgId, callerId)),
      auditInsert(c, {
        targetType: 'member',
        targetId: userId,
        before: { role: target.role, previousOwner: callerId },
        after: { role: 'owner', previousOwnerRole: 'admin' },
      }),
      ownerGuard(d, orgId),
    ]),
  );
  await closeStreams(c.env, orgId, { userIds: [callerId] });
  return { owner: { ...target, role: 'owner' }, previousOwner: { ...self, role: 'admin' } };
}
