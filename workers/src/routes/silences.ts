import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { badRequest } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { SILENCE_ID, silenceExample } from '../services/incidents/examples.ts';
import { type AreaObject, notFound404, onOne, readOne, TAG } from '../services/incidents/route-docs.ts';
import { createSilence, endSilence, silenceExpired } from '../services/incidents/silence-changes.ts';
import {
  createSilenceBody,
  silenceListQuery,
  silencePageSchema,
  silenceParams,
  silenceViewSchema,
} from '../services/incidents/silence-schemas.ts';
import { getSilence, listSilences } from '../services/incidents/silences.ts';

const silence: AreaObject = {
  noun: 'silence',
  params: silenceParams,
  id: SILENCE_ID,
  schema: silenceViewSchema,
  example: silenceExample,
};
const { state: _state, id: _id, createdAt: _createdAt, createdBy: _createdBy, ...createExample } = silenceExample;

/** `/v1/silences`: time windows in which matching incidents still exist but notify no one. */
export const silencesRoutes = new Hono<AppEnv>()
  .get(
    '/',
    doc({
      operationId: 'listSilences',
      summary: 'List silences',
      description: 'Newest first by creation. Active silences unless `state` says otherwise. Page with `nextCursor`.',
      tag: TAG,
      auth: 'caller',
      permission: 'org.read',
      query: silenceListQuery,
      example: { query: { state: 'active', limit: '50' } },
      responses: {
        200: {
          description: 'One page of silences',
          schema: silencePageSchema,
          example: { silences: [silenceExample], nextCursor: null },
        },
      },
    }),
    async (c) => c.json(await listSilences(c.env.DB, c.var.caller.orgId, c.req.valid('query'))),
  )
  .post(
    '/',
    doc({
      operationId: 'createSilence',
      summary: 'Silence matching incidents for a time window',
      description:
        'An incident is silenced while the window is on and every matcher holds for it: `rule`, `device` and `site` name ids of your organisation, ' +
        '`tag` one of the tags the device had when the incident opened, `severity` `warning` or `critical`. Silenced incidents are still recorded and listed, and notify no one. ' +
        '`startsAt` defaults to now; `endsAt` must be after `startsAt`, in the future, and at most 90 days after `startsAt`.',
      tag: TAG,
      auth: 'caller',
      permission: 'alerts.respond',
      body: createSilenceBody,
      example: { body: createExample },
      responses: {
        201: { description: 'The silence', schema: silenceViewSchema, example: silenceExample },
        400: {
          description:
            'A bad field, a window that is not after its start, over, or longer than 90 days, or a matcher naming a rule, device or site your organisation does not have; `field` names it',
          example: badRequest(
            'invalid_input',
            'matchers.0.value: no device "dev_k3v9q2m8x1c7r4t6w0z5y8b2" in this organisation',
            'matchers.0.value',
          ).body(),
        },
      },
    }),
    async (c) => c.json(await createSilence(c, c.req.valid('json')), 201),
  )
  .get('/:id', ...readOne(silence, 'getSilence', 'Get a silence', getSilence))
  .delete(
    '/:id',
    doc({
      operationId: 'endSilence',
      summary: 'End a silence now',
      description:
        'Sets `endsAt` to now and keeps the silence, so the list of expired silences shows what was silenced when. A silence that had not started yet starts and ends now.',
      ...onOne(silence),
      permission: 'alerts.respond',
      responses: {
        200: {
          description: 'The silence, expired',
          schema: silenceViewSchema,
          example: { ...silenceExample, endsAt: 1795348800000, state: 'expired' },
        },
        404: notFound404(silence),
        409: { description: 'The silence has already ended', example: silenceExpired(SILENCE_ID).body() },
      },
    }),
    async (c) => c.json(await endSilence(c, c.req.valid('param').id)),
  );
