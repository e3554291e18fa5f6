import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, Caller } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError, forbidden } from '../../errors.ts';
import { sha256Hex } from '../../services/credentials/crypto.ts';
import { SESSION_TOUCH_RESOLUTION_MS, sessionLimits, sessionLive } from '../../services/credentials/sessions.ts';
import { isApiKey, SESSION_COOKIE } from '../../services/credentials/tokens.ts';
import { enforceRateLimit, RATE_LIMITS } from '../rate-limit/index.ts';
import {
  holds,
  type Permission,
  type Principal,
  refusalMessage,
  scopesOfRole,
} from '../../services/access/permissions.ts';

/** `last_used_at` is rewritten at most this often per key, so busy keys cost D1 one write a minute. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Why a caller was refused with 401: nothing presented, or a credential that is not (or no longer) valid. */
export type AuthFailure = 'unauthenticated' | 'invalid_api_key' | 'invalid_session';

const FAILURE_MESSAGES: Record<AuthFailure, string> = {
  unauthenticated: 'send an API key as "Authorization: Bearer ewk_…" or sign in',
  invalid_api_key: 'the API key is unknown or revoked',
  invalid_session: 'the session is unknown or expired: sign in again',
};

/** The 401 for each way authentication fails; also the source of the OpenAPI examples. */
export function authFailure(code: AuthFailure): ApiError {
  return new ApiError(401, code, FAILURE_MESSAGES[code]);
}

/**
 * Resolves the caller from `Authorization: Bearer <api key>` or the session cookie, counts the
 * request against the credential's rate limit, refuses callers without `scope`, and sets
 * `c.var.caller`. A bearer credential wins over a cookie.
 */
export async function authenticateCaller(c: Context<AppEnv>, permission: Permission): Promise<Caller> {
  const now = Date.now();
  const presented = presentedCredential(c.req.header('authorization'), getCookie(c, SESSION_COOKIE));
  if ('failure' in presented) throw authFailure(presented.failure);
  const hash = await sha256Hex(presented.value);
  // The limit is counted by the credential's hash, so the count and the lookup run together (a
  // round trip less on every call). A credential that turns out unknown is still a 401 first.
  const [resolved, limited] = await Promise.all([
    presented.via === 'api-key'
      ? fromApiKey(c.env.DB, hash)
      : fromSession(c.env.DB, hash, sessionLimits(c.env).idleMs, now),
    enforceRateLimit(c.env, RATE_LIMITS.api, hash).then(
      () => null,
      (refusal: unknown) => refusal,
    ),
  ]);
  if (!resolved) throw authFailure(presented.via === 'api-key' ? 'invalid_api_key' : 'invalid_session');
  if (limited) throw limited;
  const { caller, lastUsedAt } = resolved;
  // The credential's row is already in hand: write only when the recorded use is a minute old.
  if (caller.via === 'api-key' && (lastUsedAt ?? 0) < now - LAST_USED_RESOLUTION_MS) {
    c.executionCtx.waitUntil(touchApiKey(c.env.DB, caller.credentialId, now));
  }
  if (caller.via === 'session' && (lastUsedAt ?? 0) < now - SESSION_TOUCH_RESOLUTION_MS) {
    c.executionCtx.waitUntil(touchSession(c.env.DB, caller.credentialId, now));
  }
  const principal: Principal =
    caller.role !== null ? { via: 'session', role: caller.role } : { via: 'api-key', scopes: caller.scopes };
  // Set before the check: a refused write is audited as `denied` with this caller.
  c.set('caller', caller);
  if (!holds(principal, permission)) throw forbidden(refusalMessage(permission));
  return caller;
}

/** {@link authenticateCaller} as middleware, for routes outside `doc()`. */
export function requireAuth(permission: Permission): MiddlewareHandler<AppEnv> {
  return async function requireAuth(c, next) {
    await authenticateCaller(c, permission);
    await next();
  };
}

type Found = { caller: Caller; lastUsedAt: number | null };
type Presented = { via: Caller['via']; value: string } | { failure: AuthFailure };

/** The credential the request presents; a bearer credential wins over a cookie. */
function presentedCredential(authorization: string | undefined, sessionCookie: string | undefined): Presented {
  // `Authorization: Bearer` with nothing after it presents no credential, like no header at all.
  if (authorization?.replace(/^Bearer\b/i, '').trim()) {
    const bearer = authorization.match(/^Bearer\s+(\S+)$/i)?.[1];
    return bearer && isApiKey(bearer) ? { via: 'api-key', value: bearer } : { failure: 'invalid_api_key' };
  }
  if (sessionCookie === undefined) return { failure: 'unauthenticated' };
  return sessionCookie !== '' ? { via: 'session', value: sessionCookie } : { failure: 'invalid_session' };
}

async function fromApiKey(d1: D1Database, keyHash: string): Promise<Found | null> {
  const k = schema.apiKeys;
  const o = schema.organisations;
  // A deleted organisation answers as gone: its keys stop working the moment it is marked.
  const found = await db(d1)
    .select({ key: k })
    .from(k)
    .innerJoin(o, and(eq(o.id, k.orgId), isNull(o.deletedAt)))
    .where(and(eq(k.keyHash, keyHash), isNull(k.revokedAt)))
    .get();
  const row = found?.key;
  if (!row) return null;
  return {
    caller: {
      orgId: row.orgId,
      via: 'api-key',
      scopes: row.scopes,
      role: null,
      userId: row.createdBy,
      credentialId: row.id,
    },
    lastUsedAt: row.lastUsedAt,
  };
}

/** Records that a key was used, unless that was already recorded within the last minute. */
async function touchApiKey(d1: D1Database, keyId: string, now: number): Promise<void> {
  const k = schema.apiKeys;
  await db(d1)
    .update(k)
    .set({ lastUsedAt: now })
    .where(and(eq(k.id, keyId), or(isNull(k.lastUsedAt), lt(k.lastUsedAt, now - LAST_USED_RESOLUTION_MS))));
}

/** Records that a session was used, unless that was already recorded within the last minute. */
async function touchSession(d1: D1Database, sessionId: string, now: number): Promise<void> {
  const t = schema.sessions;
  await db(d1)
    .update(t)
    .set({ lastUsedAt: now })
    .where(and(eq(t.id, sessionId), or(isNull(t.lastUsedAt), lt(t.lastUsedAt, now - SESSION_TOUCH_RESOLUTION_MS))));
}

/**
 * The session's caller, with the user's current role in the session's org. Null when the
 * session is unknown, past its absolute expiry, idle past the limit, the user is no longer a
 * member, or the org is deleted.
 */
async function fromSession(d1: D1Database, tokenHash: string, idleMs: number, now: number): Promise<Found | null> {
  const s = schema.sessions;
  const m = schema.memberships;
  const o = schema.organisations;
  const row = await db(d1)
    .select({ session: s, role: m.role })
    .from(s)
    .innerJoin(m, and(eq(m.orgId, s.orgId), eq(m.userId, s.userId)))
    .innerJoin(o, and(eq(o.id, s.orgId), isNull(o.deletedAt)))
    .where(and(eq(s.tokenHash, tokenHash), gt(s.expiresAt, now)))
    .get();
  if (!row || !sessionLive(row.session, now, idleMs)) return null;
  return {
    caller: {
      orgId: row.session.orgId,
      via: 'session',
      scopes: scopesOfRole(row.role),
      role: row.role,
      userId: row.session.userId,
      credentialId: row.session.id,
    },
    lastUsedAt: row.session.lastUsedAt,
  };
}

/** 403 when an API key calls an operation only a signed-in user may call. */
export const sessionOnly = () =>
  forbidden('only a signed-in session can do this: an API key belongs to one organisation and has no user');
