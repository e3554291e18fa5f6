import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError } from '../../errors.ts';
import { settings } from '../../settings.ts';
import { auditInsert } from '../audit/record.ts';
import { hashPassword, newId } from '../credentials/crypto.ts';
import { newSession } from '../credentials/sessions.ts';
import { assertStrongPassword } from './password-policy.ts';

export const signupClosed = () =>
  new ApiError(403, 'signup_closed', 'sign-up is closed on this platform: ask an administrator for an invitation');
export const signupInviteOnly = () =>
  new ApiError(
    403,
    'signup_invite_only',
    'sign-up needs an invitation on this platform: open the invitation link you were given',
  );
export const emailTaken = () =>
  new ApiError(409, 'email_taken', 'an account with this email already exists: sign in instead', { field: 'email' });

/** Whether `SIGNUP` lets anyone create an organisation; throws the 403 that says why not. */
export function assertSignupOpen(env: object): void {
  const mode = settings(env).SIGNUP;
  if (mode === 'closed') throw signupClosed();
  if (mode === 'invite') throw signupInviteOnly();
}

export interface SignupInput {
  /** Normalised already. */
  email: string;
  password: string;
  orgName: string;
  name?: string | undefined;
}

/**
 * Creates a user, an organisation with that user as owner, a session in it, and the audit row,
 * in one D1 batch. Returns the ids and the session to set as cookie. 409 `email_taken` when
 * the address has an account (checked first, and again by the unique index in a race).
 */
export async function signUp(c: Context<AppEnv>, input: SignupInput) {
  assertStrongPassword(input.password, input.email);
  const d = db(c.env.DB);
  const u = schema.users;
  const existing = await d.select({ id: u.id }).from(u).where(eq(u.email, input.email)).get();
  if (existing) throw emailTaken();

  const now = Date.now();
  const orgId = newId('org');
  const user = { id: newId('usr'), email: input.email, name: input.name?.trim() || input.email.split('@')[0]! };
  const session = await newSession(c, orgId, user.id);
  try {
    await d.batch([
      d.insert(schema.organisations).values({ id: orgId, name: input.orgName, createdAt: now }),
      d.insert(u).values({ ...user, passwordHash: await hashPassword(input.password), createdAt: now }),
      d.insert(schema.memberships).values({ orgId, userId: user.id, role: 'owner', createdAt: now }),
      session.insert,
      auditInsert(c, {
        targetType: 'organisation',
        targetId: orgId,
        after: { name: input.orgName, owner: user.email },
        actor: { type: 'user', id: user.id, role: 'owner', orgId },
      }),
    ]);
  } catch (err) {
    if (/UNIQUE constraint failed: users\.email/i.test(String((err as Error)?.message ?? err))) throw emailTaken();
    throw err;
  }
  return { user, orgId, session };
}
