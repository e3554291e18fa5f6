import { Hono } from 'hono';
import { enrollRequest, type EnrollResponse } from '../../../schema/wire/enroll.ts';
import type { AppEnv } from '../app-env.ts';
import { db, schema } from '../db.ts';
import { ApiError } from '../errors.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { claimEnrollmentToken } from '../services/credentials/enrollment.ts';
import { newId, sha256Hex } from '../services/credentials/crypto.ts';
import { newDeviceToken } from '../services/credentials/tokens.ts';

/** `POST /v1/agents/enroll`: trades an enrollment token for a device id and its secret token. */
const invalidEnrollmentToken = () =>
  new ApiError(401, 'invalid_enrollment_token', 'enrollment token is unknown, expired, revoked or used up', {
    field: 'token',
  });

export const agentRoutes = new Hono<AppEnv>().post(
  '/enroll',
  doc({
    operationId: 'enrollAgent',
    summary: 'Enroll a device with an enrollment token',
    description: 'Returns the device token once; the Worker keeps only its hash.',
    tag: 'Agents',
    auth: 'none',
    body: enrollRequest,
    example: { body: { token: 'ewe_3kq9ZcV1xYb7', name: 'web-1', agentVersion: '0.1.0' } },
    responses: {
      201: {
        description: 'The new device and its token',
        example: {
          deviceId: 'dev_01JD5W2Q',
          deviceToken: 'ewd.dev_01JD5W2Q.q8Zc1',
          orgId: 'org_01JD5V7K',
          siteId: null,
          kind: 'host',
        } satisfies EnrollResponse,
      },
      401: {
        description: 'The enrollment token is unknown, expired, revoked or used up',
        example: invalidEnrollmentToken().body(),
      },
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const now = Date.now();
    const claimed = await claimEnrollmentToken(c.env.DB, await sha256Hex(body.token), now);
    if (!claimed) {
      throw invalidEnrollmentToken();
    }

    const deviceId = newId('dev');
    const deviceToken = newDeviceToken(deviceId);
    const tokenHash = await sha256Hex(deviceToken);
    const kind = body.kind ?? claimed.kind;
    await db(c.env.DB)
      .insert(schema.devices)
      .values({
        id: deviceId,
        orgId: claimed.orgId,
        siteId: claimed.siteId,
        name: body.name,
        kind,
        tokenHash,
        tags: [],
        agentVersion: body.agentVersion ?? null,
        createdAt: now,
      });
    await deviceHubFor(c.env, deviceId).setIdentity({
      deviceId,
      orgId: claimed.orgId,
      siteId: claimed.siteId,
      tokenHash,
      revoked: false,
    });
    const res: EnrollResponse = { deviceId, deviceToken, orgId: claimed.orgId, siteId: claimed.siteId, kind };
    return c.json(res, 201);
  },
);
