import { and, eq, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import type { Role } from '../../../../schema/index.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { notFound } from '../../errors.ts';
import { settings } from '../../settings.ts';
import { auditInsert } from '../audit/record.ts';
import { newId, sha256Hex } from '../credentials/crypto.ts';
import { recordEvent } from '../events/record.ts';
import { log } from '../log.ts';
import { orgEventSubject } from '../streams/subjects.ts';
import { alreadyMember } from './accept.ts';
import { changedGuard, failedGuard } from './guard.ts';
import { newInvitationToken, invitationUrl } from './invitation-token.ts';
import { isMemberByEmail } from './members.ts';
import { normaliseEmail } from '../accounts/email.ts';
import { assertMayGrant } from './roles.ts';
import { DAY_MS } from '../../time.ts';

type Ctx = Context<AppEnv>;

/**
 * Creates an invitation and returns it with its link, which holds the token and is shown this
 * once (only the token's SHA-256 is stored). The `invitation.created` event carries no link:
 * events are readable by every member, the link only by the inviter.
 */
export async function createInvitation(c: Ctx, input: { email: string; role: Role }) {
  const { caller } = c.var;
  assertMayGrant(caller, input.role);
  const email = normaliseEmail(input.email);
  const d = db(c.env.DB);
  if (await isMemberByEmail(d, caller.orgId, email)) throw alreadyMember(email);
  const token = newInvitationToken();
  const now = Date.now();
  const row = {
    id: newId('inv'),
    orgId: caller.orgId,
    email,
    role: input.role,
    tokenHash: await sha256Hex(token),
    invitedBy: caller.userId,
    createdAt: now,
    expiresAt: now + settings(c.env).INVITATION_TTL_DAYS * DAY_MS,
  };
  await d.batch([
    d.insert(schema.invitations).values(row),
    auditInsert(c, { targetType: 'invitation', targetId: row.id, after: { email, role: input.role } }),
  ]);
  await emitCreated(c, row);
  return { id: row.id, email, role: row.role, expiresAt: row.expiresAt, url: invitationUrl(c.req.url, token) };
}

/** Best effort, after the commit: the invitation exists whether or not its event is recorded. */
async function emitCreated(c: Ctx, row: { id: string; orgId: string; email: string; role: Role }): Promise<void> {
  const type = 'invitation.created';
  try {
    await recordEvent(c.env, {
      orgId: row.orgId,
      type,
      subject: orgEventSubject(row.orgId, type),
      correlationId: c.var.requestId ?? null,
      data: { invitationId: row.id, email: row.email, role: row.role },
    });
  } catch (err) {
    log.error('invitation event not recorded', { invitationId: row.id, error: String(err) });
  }
}

/** Revokes a pending (or expired, unused) invitation of the caller's org; anything else is 404. */
export async function revokeInvitation(c: Ctx, id: string): Promise<void> {
  const { orgId } = c.var.caller;
  const i = schema.invitations;
  const d = db(c.env.DB);
  const open = and(eq(i.id, id), eq(i.orgId, orgId), isNull(i.acceptedAt), isNull(i.revokedAt));
  const row = await d.select().from(i).where(open).get();
  if (!row) throw notFound(`invitation "${id}"`);
  // Withdrawing an invitation is handing out its role in reverse: the same rule applies.
  assertMayGrant(c.var.caller, row.role);
  try {
    await d.batch([
      d.update(i).set({ revokedAt: Date.now() }).where(open),
      changedGuard(d, orgId),
      auditInsert(c, {
        targetType: 'invitation',
        targetId: id,
        before: { status: 'pending', email: row.email, role: row.role },
        after: { status: 'revoked' },
      }),
    ]);
  } catch (err) {
    // Accepted or revoked since it was read.
    if (failedGuard(err)) throw notFound(`invitation "${id}"`);
    throw err;
  }
}
