import { sessionOnly } from '../middleware/auth/index.ts';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { ApiError } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { closeStreams } from '../services/streams/close.ts';

const TAG = 'Sessions';
const USER_ID = 'usr_01JD5V7M';
const ORG_ID = 'org_01JD5V7K';
const OTHER_ORG_ID = 'org_01JD5V9Q';

/** 403 when a user asks to act in an organisation they do not belong to (or that is deleted). */
export const notAMember = () => new ApiError(403, 'not_a_member', 'you are not a member of that organisation');

/** The live organisations a user belongs to, with the role in each, oldest membership first. */
async function orgsOf(d1: D1Database, userId: string) {
  const m = schema.memberships;
  const o = schema.organisations;
  return db(d1)
    .select({ id: o.id, name: o.name, role: m.role })
    .from(m)
    .innerJoin(o, and(eq(o.id, m.orgId), isNull(o.deletedAt)))
    .where(eq(m.userId, userId))
    .orderBy(asc(m.createdAt), asc(m.orgId))
    .all();
}

/** `/v1/auth/me` and `/v1/auth/switch-org`: who the caller is, and which organisation a session acts in. */
export const accountRoutes = new Hono<AppEnv>()
  .get(
    '/me',
    doc({
      operationId: 'getMe',
      summary: 'Who the credential is: user, current org and role, and every org of the user',
      description:
        '`role` is null and `orgs` is empty for an API key, which belongs to one organisation. For a session, `orgs` lists every organisation the user belongs to, with their role in each; `orgId` is the one the session acts in (`POST /v1/auth/switch-org` changes it).',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      example: {},
      responses: {
        200: {
          description: 'The caller',
          example: {
            user: { id: USER_ID, email: 'ada@example.com', name: 'Ada' },
            orgId: ORG_ID,
            orgName: 'Acme',
            role: 'admin',
            via: 'session',
            scopes: ['read', 'write', 'admin'],
            userId: USER_ID,
            orgs: [
              { id: ORG_ID, name: 'Acme', role: 'admin' },
              { id: OTHER_ORG_ID, name: 'Acme Labs', role: 'viewer' },
            ],
          },
        },
      },
    }),
    async (c) => {
      const { caller } = c.var;
      const d = db(c.env.DB);
      const org = await d
        .select({ name: schema.organisations.name })
        .from(schema.organisations)
        .where(eq(schema.organisations.id, caller.orgId))
        .get();
      const session = caller.via === 'session' && caller.userId !== null;
      const user = session
        ? await d
            .select({ id: schema.users.id, email: schema.users.email, name: schema.users.name })
            .from(schema.users)
            .where(eq(schema.users.id, caller.userId!))
            .get()
        : undefined;
      return c.json({
        user: user ?? null,
        orgId: caller.orgId,
        orgName: org?.name ?? null,
        role: caller.role,
        via: caller.via,
        scopes: caller.scopes,
        userId: caller.userId,
        orgs: session ? await orgsOf(c.env.DB, caller.userId!) : [],
      });
    },
  )
  .post(
    '/switch-org',
    doc({
      operationId: 'switchOrg',
      summary: 'Make the session act in another of the user’s organisations',
      description:
        'Sessions only (an API key gets 403). The session keeps its cookie and expiry; its open streams in the previous organisation are closed.',
      tag: TAG,
      auth: 'session',
      permission: 'org.read',
      body: z.strictObject({ orgId: z.string().min(1, 'orgId is required').max(64) }),
      example: { body: { orgId: OTHER_ORG_ID } },
      responses: {
        200: {
          description: 'The session now acts in that organisation',
          example: { orgId: OTHER_ORG_ID, role: 'viewer' },
        },
        403: {
          description: 'Not a member of that organisation, or the caller is an API key',
          example: notAMember().body(),
        },
      },
    }),
    async (c) => {
      const { caller } = c.var;
      if (caller.via !== 'session' || !caller.userId) throw sessionOnly();
      const { orgId } = c.req.valid('json');
      const target = (await orgsOf(c.env.DB, caller.userId)).find((o) => o.id === orgId);
      if (!target) throw notAMember();
      if (orgId !== caller.orgId) {
        await db(c.env.DB).update(schema.sessions).set({ orgId }).where(eq(schema.sessions.id, caller.credentialId));
        // Streams opened in the previous org were authorised by this session there; it no longer is.
        await closeStreams(c.env, caller.orgId, { credentialIds: [caller.credentialId] });
      }
      return c.json({ orgId, role: target.role });
    },
  );
