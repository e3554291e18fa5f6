import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Role } from '../../../../schema/index.ts';
import { type Db, schema } from '../../db.ts';
import { ApiError } from '../../errors.ts';
import { sha256Hex } from '../credentials/crypto.ts';
import { isInvitationToken } from './invitation-token.ts';

type InvitationRow = typeof schema.invitations.$inferSelect;
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** Where an invitation stands at `now`. */
export function statusOf(row: InvitationRow, now = Date.now()): InvitationStatus {
  if (row.acceptedAt !== null) return 'accepted';
  if (row.revokedAt !== null) return 'revoked';
  return row.expiresAt <= now ? 'expired' : 'pending';
}

/** An invitation as the list shows it: never its token or hash. */
export const invitationView = (row: InvitationRow, now = Date.now()) => ({
  id: row.id,
  email: row.email,
  role: row.role,
  invitedBy: row.invitedBy,
  createdAt: row.createdAt,
  expiresAt: row.expiresAt,
  status: statusOf(row, now),
});

/** The organisation's invitations, newest first. */
export async function listInvitations(d: Db, orgId: string) {
  const i = schema.invitations;
  const rows = await d.select().from(i).where(eq(i.orgId, orgId)).orderBy(desc(i.createdAt), desc(i.id)).all();
  const now = Date.now();
  return rows.map((r) => invitationView(r, now));
}

/**
 * One answer for a token that is unknown, used, revoked or expired, so a link says nothing
 * about why it no longer works (nor whether it ever did).
 */
export const invitationNotFound = () =>
  new ApiError(404, 'invitation_not_found', 'this invitation link is unknown, used, revoked or expired');

export interface OpenInvitation {
  id: string;
  orgId: string;
  orgName: string;
  email: string;
  role: Role;
  expiresAt: number;
  /** The user with the invitation's email, if one exists. */
  user: { id: string; email: string; name: string; passwordHash: string } | null;
}

/** The pending invitation a token opens (not used, revoked, expired, nor of a deleted org), or 404. */
export async function openInvitation(d: Db, token: string): Promise<OpenInvitation> {
  if (!isInvitationToken(token)) throw invitationNotFound();
  const { invitations: i, organisations: o, users: u } = schema;
  const row = await d
    .select({ invitation: i, orgName: o.name, user: u })
    .from(i)
    .innerJoin(o, eq(o.id, i.orgId))
    .leftJoin(u, eq(u.email, i.email))
    .where(
      and(
        eq(i.tokenHash, await sha256Hex(token)),
        isNull(i.acceptedAt),
        isNull(i.revokedAt),
        gt(i.expiresAt, Date.now()),
        isNull(o.deletedAt),
      ),
    )
    .get();
  if (!row) throw invitationNotFound();
  const { invitation, user } = row;
  return {
    id: invitation.id,
    orgId: invitation.orgId,
    orgName: row.orgName,
    email: invitation.email,
    role: invitation.role,
    expiresAt: invitation.expiresAt,
    user: user ? { id: user.id, email: user.email, name: user.name, passwordHash: user.passwordHash } : null,
  };
}
