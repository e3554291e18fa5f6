import type { AuditEntryView } from '../../../schema/wire/audit.ts';
import { call, type LoginResult, type Role, type User } from './api.ts';

/** Client side of issue 10's routes: sign-up, organisations, members, invitations, sessions, audit. */

export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: number;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number;
  status: InvitationStatus;
}

/** `POST /v1/invitations`: `url` holds the token and is shown only this once. */
export interface CreatedInvitation {
  id: string;
  email: string;
  role: Role;
  expiresAt: number;
  url: string;
}

/** `GET /v1/invitations/:token`: what the invitee is told before accepting. */
export interface InvitationPreview {
  orgName: string;
  email: string;
  role: Role;
  expiresAt: number;
  existingUser: boolean;
}

export interface SessionInfo {
  id: string;
  current: boolean;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number;
  userAgent: string | null;
  clientAddress: string | null;
}

export type AuditEntry = AuditEntryView;

/** Filters of `GET /v1/audit`; empty values are left out of the query. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

const seg = encodeURIComponent;

function query(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const accountsApi = {
  signup: (body: { email: string; password: string; orgName: string; name?: string }) =>
    call<{ user: User; orgId: string; role: Role }>('POST', '/v1/auth/signup', body),
  switchOrg: (orgId: string) => call<{ orgId: string; role: Role }>('POST', '/v1/auth/switch-org', { orgId }),

  members: (signal?: AbortSignal) =>
    call<{ members: Member[] }>('GET', '/v1/members', undefined, signal).then((r) => r.members),
  setRole: (userId: string, role: Role) => call<Member>('PATCH', `/v1/members/${seg(userId)}`, { role }),
  removeMember: (userId: string) => call<null>('DELETE', `/v1/members/${seg(userId)}`),
  /** Any role may leave; the caller's sessions in this organisation end with it. */
  leave: () => call<null>('DELETE', '/v1/members/me'),
  transferOwnership: (userId: string) => call<unknown>('POST', `/v1/members/${seg(userId)}/transfer-ownership`),

  invitations: (signal?: AbortSignal) =>
    call<{ invitations: Invitation[] }>('GET', '/v1/invitations', undefined, signal).then((r) => r.invitations),
  invite: (email: string, role: Role) => call<CreatedInvitation>('POST', '/v1/invitations', { email, role }),
  revokeInvitation: (id: string) => call<null>('DELETE', `/v1/invitations/${seg(id)}`),
  previewInvitation: (token: string) => call<InvitationPreview>('GET', `/v1/invitations/${seg(token)}`),
  acceptInvitation: (token: string, body: { password: string; name?: string }) =>
    call<LoginResult>('POST', `/v1/invitations/${seg(token)}/accept`, body),

  sessions: (signal?: AbortSignal) =>
    call<{ sessions: SessionInfo[] }>('GET', '/v1/auth/sessions', undefined, signal).then((r) => r.sessions),
  endSession: (id: string) => call<null>('DELETE', `/v1/auth/sessions/${seg(id)}`),
  endAllSessions: () => call<null>('DELETE', '/v1/auth/sessions'),
  changePassword: (currentPassword: string, newPassword: string) =>
    call<{ endedSessions: number }>('POST', '/v1/auth/password', { currentPassword, newPassword }),

  audit: (q: AuditQuery, signal?: AbortSignal) =>
    call<{ entries: AuditEntry[]; nextCursor: string | null }>('GET', `/v1/audit${query(q)}`, undefined, signal),
};
