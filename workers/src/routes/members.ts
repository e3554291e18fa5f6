import { Hono } from 'hono';
import { z } from 'zod';
import { roles } from '../../../schema/index.ts';
import type { AppEnv } from '../app-env.ts';
import { db } from '../db.ts';
import { forbidden } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { notFoundResponse } from '../openapi/responses.ts';
import { idString } from '../services/http/query-schemas.ts';
import { changeRole, removeMember, transferOwnership } from '../services/members/changes.ts';
import { memberExample, ownerExample, USER_ID } from '../services/members/examples.ts';
import { listMembers } from '../services/members/members.ts';
import { lastOwner } from '../services/members/roles.ts';

const TAG = 'Members';
const memberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(roles),
  joinedAt: z.number().int(),
});
const userParams = z.strictObject({ userId: idString('userId') });
export const updateMemberBody = z.strictObject({ role: z.enum(roles) });

const notFound404 = notFoundResponse('member', USER_ID);
const lastOwner409 = { description: 'The organisation would be left without an owner', example: lastOwner().body() };

/** `/v1/members`: who belongs to the organisation, their roles, leaving and ownership. */
export const memberRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'listMembers',
      summary: "List the organisation's members and their roles",
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      example: {},
      responses: {
        200: {
          description: 'Members, oldest first',
          schema: z.object({ members: z.array(memberSchema) }),
          example: { members: [ownerExample, memberExample] },
        },
      },
    }),
    async (c) => c.json({ members: await listMembers(db(c.env.DB), c.var.caller.orgId) }),
  )
  .delete(
    '/me',
    doc({
      operationId: 'leaveOrganisation',
      summary: 'Leave the organisation',
      description:
        "Ends the caller's membership and their sessions in this organisation (this one included); their open streams close with 4401. Any role may leave, except the last owner. Only a signed-in user may: an API key is not a member.",
      tag: TAG,
      auth: 'session',
      permission: 'org.read',
      example: {},
      responses: {
        204: { description: 'Left; the session cookie no longer works here' },
        409: lastOwner409,
      },
    }),
    async (c) => {
      const { caller } = c.var;
      if (caller.via !== 'session' || !caller.userId)
        throw forbidden('an API key is not a member: only a signed-in user can leave');
      await removeMember(c, caller.userId);
      return c.body(null, 204);
    },
  )
  .patch(
    '/:userId',
    doc({
      operationId: 'updateMember',
      summary: "Change a member's role",
      description:
        "Admins change roles up to their own; making or unmaking an owner needs the owner role. The last owner cannot be demoted. A lowered role closes the member's open streams with 4401.",
      tag: TAG,
      auth: 'caller',
      permission: 'members.manage',
      params: userParams,
      body: updateMemberBody,
      example: { params: { userId: USER_ID }, body: { role: 'admin' } },
      responses: {
        200: {
          description: 'The member with their new role',
          schema: memberSchema,
          example: { ...memberExample, role: 'admin' },
        },
        404: notFound404,
        409: lastOwner409,
      },
    }),
    async (c) => c.json(await changeRole(c, c.req.valid('param').userId, c.req.valid('json').role)),
  )
  .delete(
    '/:userId',
    doc({
      operationId: 'removeMember',
      summary: 'Remove a member from the organisation',
      description:
        "Ends the membership and the user's sessions in this organisation; their open streams close with 4401. Removing an owner needs the owner role; the last owner cannot be removed. Admins may remove themselves here; any role may leave with `DELETE /v1/members/me`.",
      tag: TAG,
      auth: 'caller',
      permission: 'members.manage',
      params: userParams,
      example: { params: { userId: USER_ID } },
      responses: { 204: { description: 'Removed' }, 404: notFound404, 409: lastOwner409 },
    }),
    async (c) => {
      await removeMember(c, c.req.valid('param').userId);
      return c.body(null, 204);
    },
  )
  .post(
    '/:userId/transfer-ownership',
    doc({
      operationId: 'transferOwnership',
      summary: 'Make a member the owner; the calling owner becomes an admin',
      description: 'Both role changes commit together. Only a signed-in owner may do it.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.own',
      params: userParams,
      example: { params: { userId: USER_ID } },
      responses: {
        200: {
          description: 'The new owner, and the caller as admin',
          schema: z.object({ owner: memberSchema, previousOwner: memberSchema }),
          example: { owner: { ...memberExample, role: 'owner' }, previousOwner: { ...ownerExample, role: 'admin' } },
        },
        404: notFound404,
      },
    }),
    async (c) => c.json(await transferOwnership(c, c.req.valid('param').userId)),
  );
