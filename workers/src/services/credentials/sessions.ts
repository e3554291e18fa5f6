import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { settings } from '../../settings.ts';
import { newId, sha256Hex } from './crypto.ts';
import { newSessionToken, SESSION_COOKIE } from './tokens.ts';

/** `sessions.last_used_at` is rewritten at most this often, so an active session costs D1 one write a minute. */
export const SESSION_TOUCH_RESOLUTION_MS = 60_000;

/** How long sessions last, from the settings: idle (since the last request) and absolute (since sign-in). */
export function sessionLimits(env: object): { idleMs: number; maxMs: number } {
  const s = settings(env);
  return { idleMs: s.SESSION_IDLE_MINUTES * 60_000, maxMs: s.SESSION_MAX_DAYS * 86_400_000 };
}

/** Whether a session row is still valid at `now`: before its absolute expiry and not idle too long. */
export function sessionLive(
  row: { createdAt: number; expiresAt: number; lastUsedAt: number | null },
  now: number,
  idleMs: number,
): boolean {
  return row.expiresAt > now && (row.lastUsedAt ?? row.createdAt) > now - idleMs;
}

/**
 * The insert of a new session for `userId` in `orgId`, recording the client's user agent and
 * address for the sessions list, and the cookie value to hand back with {@link setSessionCookie}
 * once the batch holding the insert has committed.
 */
export async function newSession(c: Context<AppEnv>, orgId: string, userId: string) {
  const token = newSessionToken();
  const now = Date.now();
  const id = newId('ses');
  const expiresAt = now + sessionLimits(c.env).maxMs;
  const insert = db(c.env.DB)
    .insert(schema.sessions)
    .values({
      id,
      orgId,
      userId,
      tokenHash: await sha256Hex(token),
      createdAt: now,
      expiresAt,
      lastUsedAt: now,
      userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
      clientAddress: c.req.header('cf-connecting-ip') ?? null,
    });
  return { id, token, expiresAt, insert };
}

/** Sets the session cookie (HttpOnly, Secure, SameSite=Lax) to expire with the session. */
export function setSessionCookie(c: Context<AppEnv>, session: { token: string; expiresAt: number }): void {
  setCookie(c, SESSION_COOKIE, session.token, {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: Math.max(0, Math.floor((session.expiresAt - Date.now()) / 1000)),
  });
}

/** Clears the session cookie in the browser. */
export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
}
