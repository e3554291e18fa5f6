import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.ts';
import { type Db, schema } from '../../db.ts';
import { newId, sha256Hex } from '../credentials/crypto.ts';
import { newSessionToken, SESSION_COOKIE, SESSION_TTL_MS } from '../credentials/tokens.ts';

/**
 * A new session in `orgId`, as `POST /v1/auth/login` makes one: the insert to run in the batch
 * that creates the membership, and the cookie value to set once that batch committed.
 */
export async function newSession(c: Context<AppEnv>, d: Db, orgId: string, userId: string) {
  const token = newSessionToken();
  const now = Date.now();
  const insert = d.insert(schema.sessions).values({
    id: newId('ses'),
    orgId,
    userId,
    tokenHash: await sha256Hex(token),
    createdAt: now,
    expiresAt: now + SESSION_TTL_MS,
    lastUsedAt: now,
    userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
    clientAddress: c.req.header('cf-connecting-ip') ?? null,
  });
  return { token, insert };
}

/** Sets the session cookie exactly as sign-in does (HttpOnly, Secure, SameSite=Lax). */
export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
  });
}
