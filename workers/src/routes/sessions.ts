import { and, desc, eq, gt, ne } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { ApiError, notFound } from '../errors.ts';
import { enforceRateLimit, RATE_LIMITS } from '../middleware/rate-limit/index.ts';
import { doc } from '../openapi/doc.ts';
import { assertStrongPassword, PASSWORD_MAX_LENGTH, weakPassword } from '../services/accounts/password-policy.ts';
import { auditInsert } from '../services/audit/record.ts';
import { hashPassword, verifyPassword } from '../services/credentials/crypto.ts';
import { clearSessionCookie, sessionLimits, sessionLive } from '../services/credentials/sessions.ts';
import { closeStreams } from '../services/streams/close.ts';
import { sessionOnly } from '../middleware/auth/index.ts';

const TAG = 'Sessions';
const SESSION_ID = 'ses_4k2m9q7x1c8v3b6n';

export const wrongPassword = () =>
  new ApiError(400, 'wrong_password', 'currentPassword is not the current password', { field: 'currentPassword' });

/** The signed-in user behind a session caller; API keys are refused. */
function sessionUser(caller: AppEnv['Variables']['caller']): { userId: string; sessionId: string } {
  if (caller.via !== 'session' || !caller.userId) throw sessionOnly();
  return { userId: caller.userId, sessionId: caller.credentialId };
}

/** Ends sessions (already deleted) in every org they were in: their streams close. */
async function closeEnded(env: Env, ended: { id: string; orgId: string }[]): Promise<void> {
  const byOrg = new Map<string, string[]>();
  for (const s of ended) byOrg.set(s.orgId, [...(byOrg.get(s.orgId) ?? []), s.id]);
  await Promise.all([...byOrg].map(([orgId, credentialIds]) => closeStreams(env, orgId, { credentialIds })));
}

const s = schema.sessions;
const ended = { id: s.id, orgId: s.orgId };

/** The signed-in user's sessions: list, end one, end all, and change the password. */
export const sessionRoutes = new Hono<AppEnv>()
  .get(
    '/sessions',
    doc({
      operationId: 'listSessions',
      summary: "The signed-in user's sessions, newest first",
      description:
        'Every live session of the user, in any organisation. `current` marks the one making the request. `userAgent` and `clientAddress` are what signed in. Sessions only (an API key gets 403).',
      tag: TAG,
      auth: 'session',
      permission: 'org.read',
      example: {},
      responses: {
        200: {
          description: 'The sessions',
          example: {
            sessions: [
              {
                id: SESSION_ID,
                current: true,
                createdAt: 1733800000000,
                lastUsedAt: 1733803600000,
                expiresAt: 1736392000000,
                userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
                clientAddress: '203.0.113.7',
              },
            ],
          },
        },
      },
    }),
    async (c) => {
      const { userId, sessionId } = sessionUser(c.var.caller);
      const now = Date.now();
      const { idleMs } = sessionLimits(c.env);
      const rows = await db(c.env.DB)
        .select()
        .from(s)
        .where(and(eq(s.userId, userId), gt(s.expiresAt, now)))
        .orderBy(desc(s.createdAt))
        .all();
      return c.json({
        sessions: rows
          .filter((r) => sessionLive(r, now, idleMs))
          .map((r) => ({
            id: r.id,
            current: r.id === sessionId,
            createdAt: r.createdAt,
            lastUsedAt: r.lastUsedAt ?? r.createdAt,
            expiresAt: r.expiresAt,
            userAgent: r.userAgent,
            clientAddress: r.clientAddress,
          })),
      });
    },
  )
  .delete(
    '/sessions/:id',
    doc({
      operationId: 'deleteSession',
      summary: 'End one of your sessions (sign out that browser)',
      tag: TAG,
      auth: 'session',
      permission: 'org.read',
      params: z.strictObject({ id: z.string().min(1).max(64) }),
      example: { params: { id: SESSION_ID } },
      responses: {
        204: { description: 'Ended; its open streams are closed' },
        404: { description: 'No such session of yours', example: notFound('session').body() },
      },
    }),
    async (c) => {
      const { userId, sessionId } = sessionUser(c.var.caller);
      const { id } = c.req.valid('param');
      const d = db(c.env.DB);
      const mine = and(eq(s.id, id), eq(s.userId, userId));
      // Looked up first, so a miss is a 404 with no audit row rather than a row recording nothing.
      if (!(await d.select({ id: s.id }).from(s).where(mine).get())) throw notFound('session');
      const [gone] = await d.batch([
        d.delete(s).where(mine).returning(ended),
        auditInsert(c, { targetType: 'session', targetId: id }),
      ]);
      await closeEnded(c.env, gone);
      if (id === sessionId) clearSessionCookie(c);
      return c.body(null, 204);
    },
  )
  .delete(
    '/sessions',
    doc({
      operationId: 'deleteAllSessions',
      summary: 'Sign out everywhere: ends all your sessions, this one included',
      tag: TAG,
      auth: 'session',
      permission: 'org.read',
      example: {},
      responses: { 204: { description: 'Every session ended and its streams closed; the cookie is cleared' } },
    }),
    async (c) => {
      const { userId } = sessionUser(c.var.caller);
      const d = db(c.env.DB);
      const [gone] = await d.batch([
        d.delete(s).where(eq(s.userId, userId)).returning(ended),
        auditInsert(c, { targetType: 'user', targetId: userId, after: { sessions: 'all ended' } }),
      ]);
      await closeEnded(c.env, gone);
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  )
  .post(
    '/password',
    doc({
      operationId: 'changePassword',
      summary: 'Change your password; your other sessions end',
      description:
        'Needs the current password. The new one follows the sign-up rules (at least 10 characters, not a common password). This session stays signed in; every other one ends. Counted against the sign-in rate limit.',
      tag: TAG,
      auth: 'session',
      permission: 'org.read',
      body: z.strictObject({
        currentPassword: z.string().min(1, 'currentPassword is required').max(PASSWORD_MAX_LENGTH),
        newPassword: z.string().min(1, 'newPassword is required').max(PASSWORD_MAX_LENGTH),
      }),
      example: { body: { currentPassword: 'lighthouse-ferry-42', newPassword: 'harbour-crane-at-dawn' } },
      responses: {
        200: { description: 'Changed; how many other sessions ended', example: { endedSessions: 2 } },
        400: {
          description: 'The current password is wrong (`wrong_password`) or the new one is weak (`weak_password`)',
          example: wrongPassword().body(),
        },
      },
    }),
    async (c) => {
      const { userId, sessionId } = sessionUser(c.var.caller);
      const body = c.req.valid('json');
      await enforceRateLimit(c.env, RATE_LIMITS.login, `password|${userId}`);
      const d = db(c.env.DB);
      const u = schema.users;
      const user = await d.select().from(u).where(eq(u.id, userId)).get();
      if (!user || !(await verifyPassword(body.currentPassword, user.passwordHash))) throw wrongPassword();
      assertStrongPassword(body.newPassword, user.email, 'newPassword');
      if (body.newPassword === body.currentPassword)
        throw weakPassword('must differ from the current one', 'newPassword');
      const [, gone] = await d.batch([
        d
          .update(u)
          .set({ passwordHash: await hashPassword(body.newPassword) })
          .where(eq(u.id, userId)),
        d
          .delete(s)
          .where(and(eq(s.userId, userId), ne(s.id, sessionId)))
          .returning(ended),
        auditInsert(c, { targetType: 'user', targetId: userId, after: { password: 'changed' } }),
      ]);
      await closeEnded(c.env, gone);
      return c.json({ endedSessions: gone.length });
    },
  );
