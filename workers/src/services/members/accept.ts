import { and, eq, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import type { Role } from '../../../../schema/index.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError } from '../../errors.ts';
import { enforceRateLimit, RATE_LIMITS } from '../../middleware/rate-limit/index.ts';
import { auditInsert } from '../audit/record.ts';
import { newId, verifyPassword } from '../credentials/crypto.ts';
import { recordUserEvent } from '../events/record.ts';
import { changedGuard, failedGuard } from './guard.ts';
import { invitationNotFound, openInvitation } from './invitations.ts';
import { newUserFields } from './new-user.ts';
import { newSession, setSessionCookie } from '../credentials/sessions.ts';

/** 401 for an existing user's wrong password. */
export const wrongPassword = () =>
  new ApiError(
    401,
    'invalid_credentials',
    'the password is wrong: an existing user accepts with their current password',
  );

/** 409 for an invitation to an organisation the user already belongs to. */
export const alreadyMember = (email: string) =>
  new ApiError(409, 'already_member', `${email} is already a member of this organisation`);

export interface Accepted {
  user: { id: string; email: string; name: string };
  orgId: string;
  role: Role;
}

/**
 * Accepts an invitation: an existing user (by the invitation's email) proves it with their
 * current password, anyone else becomes a new user with this password. The membership, the
 * invitation's use, a session and the audit row commit in one batch; then the cookie is set.
 * Single use: a second acceptance finds no pending invitation, and a concurrent one breaks the
 * membership's (or the email's) uniqueness, which rolls its whole batch back.
 */
export async function acceptInvitation(
  c: Context<AppEnv>,
  token: string,
  body: { password: string; name?: string | undefined },
): Promise<Accepted> {
  const d = db(c.env.DB);
  const inv = await openInvitation(d, token);
  // Counted like sign-in: an existing user's password must not be guessable through a link.
  await enforceRateLimit(c.env, RATE_LIMITS.login, `${inv.email}|${c.req.header('cf-connecting-ip') ?? 'unknown'}`);
  let user: Accepted['user'];
  const writes = [];
  if (inv.user) {
    if (!(await verifyPassword(body.password, inv.user.passwordHash))) throw wrongPassword();
    const m = schema.memberships;
    const member = await d
      .select({ role: m.role })
      .from(m)
      .where(and(eq(m.orgId, inv.orgId), eq(m.userId, inv.user.id)))
      .get();
    if (member) throw alreadyMember(inv.email);
    user = { id: inv.user.id, email: inv.user.email, name: inv.user.name };
  } else {
    const fields = await newUserFields(inv.email, body.password, body.name);
    user = { id: newId('usr'), email: fields.email, name: fields.name };
    writes.push(d.insert(schema.users).values({ id: user.id, ...fields, createdAt: Date.now() }));
  }
  const now = Date.now();
  const i = schema.invitations;
  const session = await newSession(c, inv.orgId, user.id);
  try {
    await d.batch([
      d
        .update(i)
        .set({ acceptedAt: now, acceptedBy: user.id })
        .where(and(eq(i.id, inv.id), isNull(i.acceptedAt), isNull(i.revokedAt))),
      // Revoked (or used) since it was read: nothing of this batch may stand.
      changedGuard(d, inv.orgId),
      ...writes,
      d.insert(schema.memberships).values({ orgId: inv.orgId, userId: user.id, role: inv.role, createdAt: now }),
      session.insert,
      auditInsert(c, {
        targetType: 'invitation',
        targetId: inv.id,
        before: { status: 'pending' },
        after: { status: 'accepted', userId: user.id, role: inv.role, newUser: !inv.user },
        actor: { type: 'user', id: user.id, role: inv.role, orgId: inv.orgId },
      }),
    ]);
  } catch (err) {
    // A concurrent acceptance or revocation won: the invitation is no longer pending.
    if (failedGuard(err) || /UNIQUE constraint failed/i.test(String((err as Error)?.message ?? err))) {
      throw invitationNotFound();
    }
    throw err;
  }
  setSessionCookie(c, session);
  await recordUserEvent(c.env, 'user.login', inv.orgId, user.id, c.var.requestId);
  return { user, orgId: inv.orgId, role: inv.role };
}
