import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from '../../app-env.ts';
import { doc } from '../../openapi/doc.ts';
import { notFoundResponse } from '../../openapi/responses.ts';

/** The OpenAPI tag of `/v1/incidents` and `/v1/silences`. */
export const TAG = 'Incidents';

type IdParams = z.ZodType<{ id: string }>;

/** One kind of object of the incidents area (an incident, a silence), as its routes document it. */
export interface AreaObject<P extends IdParams = IdParams> {
  /** Names it in descriptions: `incident`, `silence`. */
  noun: string;
  /** The `{ id }` path parameters, and the id the examples use. */
  params: P;
  id: string;
  /** Its view (schema and example): what a read answers. */
  schema: z.ZodType;
  example: unknown;
}

/** What every operation on one object declares alike: tag, credential, the id in the path and its example. */
export const onOne = <P extends IdParams>(o: AreaObject<P>) =>
  ({ tag: TAG, auth: 'caller', params: o.params, example: { params: { id: o.id } } }) as const;

/** The 404 of an operation on one object: an id of another organisation answers like an unknown one. */
export const notFound404 = (o: AreaObject) => notFoundResponse(o.noun, o.id);

/**
 * `GET /:id` of one object, documented and handled; spread it into the route:
 * `.get('/:id', ...readOne(incident, 'getIncident', 'Get an incident', getIncident))`.
 * Any member reads it (`org.read`); `get` reads it in the caller's organisation or throws its 404.
 */
export function readOne<P extends IdParams>(
  o: AreaObject<P>,
  operationId: string,
  summary: string,
  get: (d1: D1Database, orgId: string, id: string) => Promise<unknown>,
) {
  return [
    doc({
      ...onOne(o),
      operationId,
      summary,
      permission: 'org.read',
      responses: {
        200: { description: `The ${o.noun}`, schema: o.schema, example: o.example },
        404: notFound404(o),
      },
    }),
    async (c: Context<AppEnv, string, { out: { param: { id: string } } }>) =>
      c.json(await get(c.env.DB, c.var.caller.orgId, c.req.valid('param').id)),
  ] as const;
}
