import type { Caller } from '../../app-env.ts';
import type { StreamPrincipals } from './close.ts';

/**
 * Who opened a stream connection, as the Worker authenticated them. The hub keeps it with the
 * connection (a WebSocket's attachment and tags, an SSE stream's connection state) so that
 * `closeStreams` can find the connections of a withdrawn credential or user.
 */
export interface StreamPrincipal {
  via: Caller['via'];
  /** API key id or session id. */
  credentialId: string;
  userId: string | null;
  /** When the Worker authenticated the request (ms): a withdrawal after it wins a race with the connect. */
  authAt: number;
}

/** Header the Worker sets on the hub's internal request; built fresh there, never copied from a client. */
export const STREAM_PRINCIPAL_HEADER = 'X-Edgewatch-Stream-Principal';

// Printable ASCII without spaces: every id the platform issues, and safe inside a socket tag (≤ 256).
const ID = /^[\x21-\x7e]{1,200}$/;

/** The principal of an authenticated caller, as the header value the hub reads. */
export function principalHeader(caller: Caller, authAt: number): string {
  const p: StreamPrincipal = { via: caller.via, credentialId: caller.credentialId, userId: caller.userId, authAt };
  return JSON.stringify(p);
}

/** Parses {@link STREAM_PRINCIPAL_HEADER}; null when absent or malformed (the hub then refuses). */
export function parsePrincipal(value: string | null): StreamPrincipal | null {
  if (!value || value.length > 1024) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { via, credentialId, userId, authAt } = raw as Record<string, unknown>;
  if (via !== 'api-key' && via !== 'session') return null;
  if (typeof credentialId !== 'string' || !ID.test(credentialId)) return null;
  if (userId !== null && (typeof userId !== 'string' || !ID.test(userId))) return null;
  if (typeof authAt !== 'number' || !Number.isFinite(authAt)) return null;
  return { via, credentialId, userId, authAt };
}

/**
 * WebSocket tags for a principal (each ≤ 256 characters, at most 10 per socket), so the hub
 * finds a principal's sockets with `getWebSockets(tag)` without reading every attachment.
 */
export function principalTags(p: Pick<StreamPrincipal, 'credentialId' | 'userId'>): string[] {
  return p.userId ? [credentialTag(p.credentialId), userTag(p.userId)] : [credentialTag(p.credentialId)];
}

export const credentialTag = (id: string) => `cred:${id}`;
export const userTag = (id: string) => `user:${id}`;

/** The tags naming any of these principals. */
export function tagsOf(who: StreamPrincipals): string[] {
  return [...(who.credentialIds ?? []).map(credentialTag), ...(who.userIds ?? []).map(userTag)];
}

/** True when the connection's principal is one of `who`. */
export function isOneOf(p: StreamPrincipal | null, who: StreamPrincipals): boolean {
  if (!p) return false;
  if (who.credentialIds?.includes(p.credentialId)) return true;
  return p.userId !== null && (who.userIds?.includes(p.userId) ?? false);
}
