import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../workers/src/app.ts';
import { openApiPath } from '../../workers/src/openapi/generate.ts';

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security: Record<string, string[]>[];
  'x-required-scope'?: string;
  parameters?: { name: string; in: string; required: boolean; example?: string }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { example?: unknown }>; headers?: Record<string, unknown> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
}

async function fetchDocument(): Promise<Document> {
  const res = await SELF.fetch('http://test/v1/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.json();
}

// Every route a request can reach: `app.use` middleware is registered under method ALL.
const routes = [
  ...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path).path}`)),
];

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document, without authentication, with the three security schemes', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Edgewatch API');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'deviceToken', 'session']);
  });

  it.each(routes)('documents %s with a summary and an example', async (route) => {
    const [method, path] = route.split(' ') as [string, string];
    const op = (await fetchDocument()).paths[path]?.[method.toLowerCase()];
    expect(op, `${route} has no doc() annotation`).toBeDefined();
    expect(op!.summary.length).toBeGreaterThan(0);
    expect(op!.tags).toHaveLength(1);
    // Every path parameter has an example, and so does any body.
    for (const p of op!.parameters?.filter((p) => p.in === 'path') ?? []) expect(p.example).toBeDefined();
    if (op!.requestBody) expect(op!.requestBody.content['application/json']?.example).toBeDefined();
    const success = Object.entries(op!.responses).find(([status]) => Number(status) < 300);
    expect(success, `${route} documents no success response`).toBeDefined();
  });

  it('documents the API-key operations with their scope, 401, 403 and a 429 with Retry-After', async () => {
    const op = (await fetchDocument()).paths['/v1/api-keys']!.post!;
    expect(op.operationId).toBe('createApiKey');
    expect(op.security).toEqual([{ apiKey: [] }, { session: [] }]);
    expect(op['x-required-scope']).toBe('admin');
    expect(Object.keys(op.responses)).toEqual(['201', '400', '401', '403', '413', '415', '429']);
    expect(op.responses['429']!.headers).toHaveProperty('Retry-After');
    expect(op.requestBody!.content['application/json']!.example).toEqual({ name: 'grafana', scopes: ['read'] });
  });

  it('turns query schemas into parameters with their JSON Schema and required flag', async () => {
    const op = (await fetchDocument()).paths['/v1/events']!.get!;
    const limit = op.parameters!.find((p) => p.name === 'limit');
    expect(limit).toEqual({
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      example: 100,
    });
  });

  it('has unique operation ids', async () => {
    const ids = Object.values((await fetchDocument()).paths).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(ids.length).toBe(new Set(ids).size);
  });
});

describe('docs/openapi.json', () => {
  it('is the served document, so `npm run lint:openapi` lints what clients get', async () => {
    const served = await (await SELF.fetch('http://test/v1/openapi.json')).json();
    await expect(`${JSON.stringify(served, null, 2)}\n`).toMatchFileSnapshot('../../docs/openapi.json');
  });
});
