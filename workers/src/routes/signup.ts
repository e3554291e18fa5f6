import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';
import { emailField, normaliseEmail } from '../services/accounts/email.ts';
import { PASSWORD_MAX_LENGTH, weakPassword } from '../services/accounts/password-policy.ts';
import { assertSignupOpen, emailTaken, signupClosed, signUp } from '../services/accounts/signup.ts';
import { setSessionCookie } from '../services/credentials/sessions.ts';
import { nonBlank } from '../../../schema/wire/text.ts';

export const signupBody = z.strictObject({
  email: emailField(),
  password: z.string().min(1, 'password is required').max(PASSWORD_MAX_LENGTH),
  orgName: nonBlank('orgName is required').max(100, 'orgName must be at most 100 characters'),
  name: z.string().trim().max(100, 'name must be at most 100 characters').optional(),
});

/** `POST /v1/auth/signup`: a new user and organisation, when the `SIGNUP` setting is `open`. */
export const signupRoutes = new Hono<AppEnv>().post(
  '/signup',
  doc({
    operationId: 'signup',
    summary: 'Create an account and an organisation owned by it; sets the ew_session cookie',
    description:
      "Only when the platform's `SIGNUP` setting is `open` (`invite`: join through an invitation link instead; `closed`: an administrator adds people). The email is trimmed and lower-cased. The password needs at least 10 characters and must not be one of the most common passwords or the email itself.",
    tag: 'Sessions',
    auth: 'none',
    body: signupBody,
    example: {
      body: { email: 'ada@example.com', password: 'lighthouse-ferry-42', orgName: 'Acme', name: 'Ada' },
    },
    responses: {
      201: {
        description: 'Signed up and signed in: the session cookie is set',
        example: {
          user: { id: 'usr_01JD5V7M', email: 'ada@example.com', name: 'Ada' },
          orgId: 'org_01JD5V7K',
          role: 'owner',
        },
      },
      400: {
        description: 'Invalid input, or a weak password',
        example: weakPassword('must be at least 10 characters').body(),
      },
      403: {
        description: 'Sign-up is closed (`signup_closed`) or needs an invitation (`signup_invite_only`)',
        example: signupClosed().body(),
      },
      409: { description: 'The email has an account already', example: emailTaken().body() },
    },
  }),
  async (c) => {
    assertSignupOpen(c.env);
    const body = c.req.valid('json');
    const { user, orgId, session } = await signUp(c, { ...body, email: normaliseEmail(body.email) });
    setSessionCookie(c, session);
    return c.json({ user, orgId, role: 'owner' as const }, 201);
  },
);
