import { and, eq, gt, isNull } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import type { MiddlewareHandler } from 'hono';
import type { ApiKeyScope, Role } from '../../../../schema/index.ts';
import type { AppEnv, Caller } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { forbidden, unauthorized } from '../../errors.ts';
import { sha256Hex } from '../../services/credentials/crypto.ts';
import { isApiKey, SESSION_COOKIE } from '../../services/credentials/tokens.ts';
import { enforceRateLimit, RATE_LIMITS } from '../rate-limit/index.ts';

/** `last_used_at` is rewritten at most this often per key, so busy keys cost D1 one write a minute. */
export const LAST_USED_RESOLUTION_MS = 60_000;

const ROLE_SCOPES: Record<Role, ApiKeyScope[]> = {
  owner: ['read', 'write', 'admin'],
  admin: ['read', 'write', 'admin'],
  member: ['read', 'write'],
  viewer: ['read'],
};

/**
 * Resolves the caller from `Authorization: Bearer <api key>` or the session cookie, counts the
 * request against the credential's rate limit, and refuses callers without `scope`. Every
 * handler behind it reads `c.var.caller.orgId`.
 */
export function requireAuth(scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async function requireAuth(c, next) {
    const resolved = await resolveCaller(c.env.DB, c.req.header('authorization'), getCookie(c, SESSION_COOKIE));
    if (!resolved) throw unauthorized('send an API key as "Authorization: Bearer ewk_…" or sign in');
    const { caller, keyLastUsedAt } = resolved;
    // The key's row is already in hand: write only when the recorded use is a minute old.
    const now = Date.now();
    if (caller.via === 'api-key' && (keyLastUsedAt ?? 0) < now - LAST_USED_RESOLUTION_MS) {
      c.executionCtx.waitUntil(touchApiKey(c.env.DB, caller.credentialId, now));
    }
    await enforceRateLimit(c.env, RATE_LIMITS.api, caller.credentialId);
    if (!caller.scopes.includes(scope)) throw forbidden(`this credential lacks the "${scope}" scope`);
    c.set('caller', caller);
    await next();
  };
}

/** The caller, and for an API key when its use was last recorded. */
async function resolveCaller(
  d1: D1Database,
  authorization: string | undefined,
  sessionCookie: string | undefined,
): Promise<{ caller: Caller; keyLastUsedAt?: number | null } | null> {
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return isApiKey(bearer) ? fromApiKey(d1, bearer) : null;
  const caller = sessionCookie ? await fromSession(d1, sessionCookie) : null;
  return caller ? { caller } : null;
}

async function fromApiKey(
  d1: D1Database,
  key: string,
): Promise<{ caller: Caller; keyLastUsedAt: number | null } | null> {
  const row = await db(d1)
    .select()
    .from(schema.apiKeys)
    .where(and(eq(schema.apiKeys.keyHash, await sha256Hex(key)), isNull(schema.apiKeys.revokedAt)))
    .get();
  if (!row) return null;
  return {
    caller: { orgId: row.orgId, via: 'api-key', scopes: row.scopes, userId: row.createdBy, credentialId: row.id },
    keyLastUsedAt: row.lastUsedAt,
  };
}

/** Records that a key was used, unless that was already recorded within the last minute. */
async function touchApiKey(d1: D1Database, keyId: string, now: number): Promise<void> {
  await d1
    .prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)')
    .bind(now, keyId, now - LAST_USED_RESOLUTION_MS)
    .run();
}

async function fromSession(d1: D1Database, token: string): Promise<Caller | null> {
  const row = await db(d1)
    .select({ session: schema.sessions, role: schema.memberships.role })
    .from(schema.sessions)
    .innerJoin(
      schema.memberships,
      and(eq(schema.memberships.orgId, schema.sessions.orgId), eq(schema.memberships.userId, schema.sessions.userId)),
    )
    .where(and(eq(schema.sessions.tokenHash, await sha256Hex(token)), gt(schema.sessions.expiresAt, Date.now())))
    .get();
  if (!row) return null;
  return {
    orgId: row.session.orgId,
    via: 'session',
    scopes: ROLE_SCOPES[row.role],
    userId: row.session.userId,
    credentialId: row.session.id,
  };
}
