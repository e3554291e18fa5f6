import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { doc } from '../openapi/doc.ts';

/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 document, generated from the routes' own `doc()`
 * metadata. `document` is given by the app, which alone knows every route.
 */
export function openApiRoutes(document: () => Record<string, unknown>) {
  return new Hono<AppEnv>().get(
    '/',
    doc({
      operationId: 'getOpenApi',
      summary: 'This API as an OpenAPI 3.1 document',
      description:
        'Generated from the schemas the handlers validate with. No authentication; revalidate with `If-None-Match`.',
      tag: 'Meta',
      auth: 'none',
      query: z.strictObject({}),
      example: {},
      responses: {
        200: {
          description: 'The OpenAPI document',
          example: { openapi: '3.1.0', info: { title: 'Edgewatch API', version: '0.1.0' }, paths: {} },
        },
      },
    }),
    (c) => c.json(document()),
  );
}
