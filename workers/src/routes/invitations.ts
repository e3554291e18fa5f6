import { Hono } from 'hono';
import { z } from 'zod';
import { roles } from '../../../schema/index.ts';
import type { AppEnv } from '../app-env.ts';
import { db } from '../db.ts';
import { ApiError, notFound } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { idString } from '../services/http/query-schemas.ts';
import { acceptInvitation, alreadyMember, wrongPassword } from '../services/members/accept.ts';
import { INVITATION_ID, INVITATION_TOKEN, invitationExample, ORG_ID, USER_ID } from '../services/members/examples.ts';
import { createInvitation, revokeInvitation } from '../services/members/invite.ts';
import { invitationNotFound, listInvitations, openInvitation } from '../services/members/invitations.ts';
import { PASSWORD_MIN_LENGTH, weakPassword } from '../services/accounts/password-policy.ts';

const TAG = 'Members';
// Trimmed before the check (the address is stored normalised); the document shows the strict form.
const email = z.string().trim().email('email must be an address like ada@example.com').max(320);
export const createInvitationBody = z.strictObject({ email, role: z.enum(roles) });
export const acceptInvitationBody = z.strictObject({
  password: z.string().min(1, 'password is required').max(1024),
  name: z.string().trim().max(100).optional(),
});
// One parameter name for `/:invitation` in every operation, so the paths stay distinct in the
// document: the id (`inv_…`) to revoke, the link's token (`ewi_…`) to open and accept.
const tokenParams = z.strictObject({
  invitation: z
    .string()
    .min(1)
    .max(200)
    .describe("The token of the invitation link (`ewi_…`), not the invitation's id"),
});
const idParams = z.strictObject({
  invitation: idString('invitation id').describe("The invitation's id (`inv_…`)"),
});

const invitationSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(roles),
  invitedBy: z.string().nullable(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
});
const gone404 = {
  description: 'The link is unknown, used, revoked or expired (one answer for all)',
  example: invitationNotFound().body(),
};

/**
 * `/v1/invitations`: invite by email with a role, list and revoke; open and accept a link. No
 * email is sent: the link is shown to the inviter once, and `invitation.created` (without it)
 * lets an integrator follow up.
 */
export const invitationRoutes = new Hono<AppEnv>()
  .post(
    '/',
    doc({
      operationId: 'createInvitation',
      summary: 'Invite someone by email, with a role',
      description:
        'Returns the invitation link, shown this once and only to the inviter: it carries a token of which only the SHA-256 is stored. No email is sent; an `invitation.created` event (id, email and role, never the link) lets an integrator follow up. The link works once, until `expiresAt` (`INVITATION_TTL_DAYS`, 7 by default). Nobody may invite with a role above their own, and inviting an owner needs the owner role.',
      tag: TAG,
      auth: 'caller',
      permission: 'members.manage',
      body: createInvitationBody,
      example: { body: { email: 'linus@example.com', role: 'viewer' } },
      responses: {
        201: {
          description: 'The invitation and its one-time link',
          schema: z.object({
            id: z.string(),
            email: z.string(),
            role: z.enum(roles),
            expiresAt: z.number().int(),
            url: z.string(),
          }),
          example: {
            id: INVITATION_ID,
            email: 'linus@example.com',
            role: 'viewer',
            expiresAt: 1795604800000,
            url: `https://edgewatch.example/#/invite/${INVITATION_TOKEN}`,
          },
        },
        409: { description: 'That email is already a member', example: alreadyMember('linus@example.com').body() },
      },
    }),
    async (c) => c.json(await createInvitation(c, c.req.valid('json')), 201),
  )
  .get(
    '/',
    doc({
      operationId: 'listInvitations',
      summary: "List the organisation's invitations",
      tag: TAG,
      auth: 'caller',
      permission: 'members.manage',
      example: {},
      responses: {
        200: {
          description: 'Newest first, with where each stands',
          schema: z.object({ invitations: z.array(invitationSchema) }),
          example: { invitations: [invitationExample] },
        },
      },
    }),
    async (c) => c.json({ invitations: await listInvitations(db(c.env.DB), c.var.caller.orgId) }),
  )
  .delete(
    '/:invitation',
    doc({
      operationId: 'revokeInvitation',
      summary: 'Revoke an invitation: its link stops working',
      tag: TAG,
      auth: 'caller',
      permission: 'members.manage',
      params: idParams,
      example: { params: { invitation: INVITATION_ID } },
      responses: {
        204: { description: 'Revoked' },
        404: {
          description: 'No unused, unrevoked invitation with this id in your organisation',
          example: notFound(`invitation "${INVITATION_ID}"`).body(),
        },
      },
    }),
    async (c) => {
      await revokeInvitation(c, c.req.valid('param').invitation);
      return c.body(null, 204);
    },
  )
  .get(
    '/:invitation',
    doc({
      operationId: 'getInvitation',
      summary: 'What an invitation link offers (no sign-in needed)',
      description: '`existingUser` says whether to ask for the current password (an existing account) or a new one.',
      tag: TAG,
      auth: 'none',
      params: tokenParams,
      example: { params: { invitation: INVITATION_TOKEN } },
      responses: {
        200: {
          description: 'The pending invitation',
          schema: z.object({
            orgName: z.string(),
            email: z.string(),
            role: z.enum(roles),
            expiresAt: z.number().int(),
            existingUser: z.boolean(),
          }),
          example: {
            orgName: 'Acme',
            email: 'linus@example.com',
            role: 'viewer',
            expiresAt: 1795604800000,
            existingUser: false,
          },
        },
        404: gone404,
      },
    }),
    async (c) => {
      const inv = await openInvitation(db(c.env.DB), c.req.valid('param').invitation);
      return c.json({
        orgName: inv.orgName,
        email: inv.email,
        role: inv.role,
        expiresAt: inv.expiresAt,
        existingUser: inv.user !== null,
      });
    },
  )
  .post(
    '/:invitation/accept',
    doc({
      operationId: 'acceptInvitation',
      summary: 'Accept an invitation: joins the organisation and signs in',
      description: `An existing user (by the invitation's email) gives their current password; anyone else becomes a new user with this password (at least ${PASSWORD_MIN_LENGTH} characters, not a common one). Sets the ew_session cookie in the invitation's organisation. The link works once. Attempts count against the sign-in rate limit of the invitation's email.`,
      tag: TAG,
      auth: 'none',
      params: tokenParams,
      body: acceptInvitationBody,
      example: {
        params: { invitation: INVITATION_TOKEN },
        body: { password: 'a long passphrase of mine', name: 'Linus' },
      },
      responses: {
        200: {
          description: 'Joined and signed in; the session cookie is set',
          schema: z.object({
            user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
            orgId: z.string(),
            role: z.enum(roles),
          }),
          example: { user: { id: USER_ID, email: 'linus@example.com', name: 'Linus' }, orgId: ORG_ID, role: 'viewer' },
        },
        400: {
          description: "`weak_password`: a new user's password is too short or too common; or invalid input",
          example: weakPassword(`must be at least ${PASSWORD_MIN_LENGTH} characters`).body(),
        },
        401: { description: "An existing user's password is wrong", example: wrongPassword().body() },
        404: gone404,
        409: { description: 'The user is already a member', example: alreadyMember('linus@example.com').body() },
        429: {
          description: 'Too many attempts for this email from this address; retry after `Retry-After`',
          example: new ApiError(
            429,
            'rate_limited',
            'rate limit of 10 sign-in attempts per email and address per 60 s exceeded; retry in 42 s',
          ).body(),
        },
      },
    }),
    async (c) => c.json(await acceptInvitation(c, c.req.valid('param').invitation, c.req.valid('json'))),
  );
