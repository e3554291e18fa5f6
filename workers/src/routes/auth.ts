import { and, asc, eq, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { ApiError } from '../errors.ts';
import { enforceRateLimit, RATE_LIMITS } from '../middleware/rate-limit/index.ts';
import { doc } from '../openapi/doc.ts';
import { emailField, normaliseEmail } from '../services/accounts/email.ts';
import { sha256Hex, verifyPassword } from '../services/credentials/crypto.ts';
import { clearSessionCookie, newSession, setSessionCookie } from '../services/credentials/sessions.ts';
import { SESSION_COOKIE } from '../services/credentials/tokens.ts';
import { recordUserEvent } from '../services/events/record.ts';
import { closeStreams } from '../services/streams/close.ts';

export const loginBody = z.strictObject({
  email: emailField(),
  password: z.string().min(1, 'password is required').max(1024),
});

// Verified against when the email is unknown, so a miss costs as long as a wrong password.
const DUMMY_HASH = 'pbkdf2$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

const TAG = 'Sessions';
const invalidCredentials = () => new ApiError(401, 'invalid_credentials', 'email or password is wrong');
const USER_ID = 'usr_01JD5V7M';
const ORG_ID = 'org_01JD5V7K';

/**
 * Sign in and out with a session cookie (HttpOnly, Secure, SameSite=Lax). A session lasts
 * `SESSION_MAX_DAYS` from sign-in and ends after `SESSION_IDLE_MINUTES` without a request.
 */
export const authRoutes = new Hono<AppEnv>()
  .post(
    '/login',
    doc({
      operationId: 'login',
      summary: 'Sign in: sets the ew_session cookie',
      description: `At most ${RATE_LIMITS.login.limit} attempts per email and client address per ${RATE_LIMITS.login.period} s.`,
      tag: TAG,
      auth: 'none',
      body: loginBody,
      example: { body: { email: 'ada@example.com', password: 'correct horse battery staple' } },
      responses: {
        200: {
          description: 'Signed in; the session cookie is set',
          example: { user: { id: USER_ID, email: 'ada@example.com', name: 'Ada' }, orgId: ORG_ID, role: 'admin' },
        },
        401: {
          description: 'Wrong email or password (the same answer for both)',
          example: invalidCredentials().body(),
        },
        429: {
          description: 'Too many attempts for this email from this address; retry after `Retry-After`',
          example: new ApiError(
            429,
            'rate_limited',
            `rate limit of ${RATE_LIMITS.login.limit} ${RATE_LIMITS.login.what} per ${RATE_LIMITS.login.period} s exceeded; retry in 42 s`,
          ).body(),
        },
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const email = normaliseEmail(body.email);
      // Counted before the password is checked, so guessing costs the attempt either way.
      const client = c.req.header('cf-connecting-ip') ?? 'unknown';
      await enforceRateLimit(c.env, RATE_LIMITS.login, `${email}|${client}`);
      const d = db(c.env.DB);
      const user = await d.select().from(schema.users).where(eq(schema.users.email, email)).get();
      const ok = await verifyPassword(body.password, user?.passwordHash ?? DUMMY_HASH);
      // The session starts in the user's oldest membership of an organisation that still exists.
      const m = schema.memberships;
      const o = schema.organisations;
      const membership =
        user && ok
          ? await d
              .select({ orgId: m.orgId, role: m.role })
              .from(m)
              .innerJoin(o, and(eq(o.id, m.orgId), isNull(o.deletedAt)))
              .where(eq(m.userId, user.id))
              .orderBy(asc(m.createdAt), asc(m.orgId))
              .get()
          : undefined;
      if (!user || !membership) throw invalidCredentials();

      const session = await newSession(c, membership.orgId, user.id);
      await session.insert;
      setSessionCookie(c, session);
      await recordUserEvent(c.env, 'user.login', membership.orgId, user.id, c.var.requestId);
      return c.json({
        user: { id: user.id, email: user.email, name: user.name },
        orgId: membership.orgId,
        role: membership.role,
      });
    },
  )
  .post(
    '/logout',
    doc({
      operationId: 'logout',
      summary: 'Sign out: ends the session and clears its cookie',
      tag: TAG,
      auth: 'none',
      query: z.strictObject({}),
      example: {},
      responses: { 200: { description: 'Signed out (also when there was no session)', example: { ok: true } } },
    }),
    async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) {
        const ended = await db(c.env.DB)
          .delete(schema.sessions)
          .where(eq(schema.sessions.tokenHash, await sha256Hex(token)))
          .returning({ id: schema.sessions.id, orgId: schema.sessions.orgId, userId: schema.sessions.userId })
          .get();
        // Only a session that existed is logged out; a stale cookie records nothing.
        if (ended) {
          await closeStreams(c.env, ended.orgId, { credentialIds: [ended.id] });
          await recordUserEvent(c.env, 'user.logout', ended.orgId, ended.userId, c.var.requestId);
        }
      }
      clearSessionCookie(c);
      return c.json({ ok: true });
    },
  );
