import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../workers/src/app.ts';
import { openApiPath } from '../../workers/src/openapi/generate.ts';
import { PERMISSIONS } from '../../workers/src/services/access/permissions.ts';

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

  it('declares a permission of the one table on every operation a caller may call', async () => {
    const doc = await fetchDocument();
    const missing = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security.some((s) => 'apiKey' in s))
        .filter(([, op]) => {
          const permission = (op as { 'x-permission'?: string })['x-permission'];
          return !(permission && permission in PERMISSIONS);
        })
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(missing).toEqual([]);
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

describe('examples of /v1/openapi.json', () => {
  it('validate against the schema they illustrate: parameters, request bodies and every response', async () => {
    const { default: Ajv2020 } = await import('ajv/dist/2020.js');
    const { default: addFormats } = await import('ajv-formats');
    const doc = (await fetchDocument()) as unknown as {
      paths: Record<string, Record<string, FullOperation>>;
      components: Record<string, unknown>;
    };
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const problems: string[] = [];
    const check = (where: string, schema: unknown, example: unknown) => {
      const resolved = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
      const validate = ajv.compile(resolved);
      if (!validate(example)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const at = `${method.toUpperCase()} ${path}`;
        for (const p of op.parameters ?? []) if (p.example !== undefined) check(`${at} ${p.name}`, p.schema, p.example);
        const media: [string, Media][] = [
          ...Object.entries(op.requestBody?.content ?? {}).map(([t, m]) => [`${at} body ${t}`, m] as [string, Media]),
          ...Object.entries(op.responses).flatMap(([status, r]) =>
            Object.entries(r.content ?? {}).map(([t, m]) => [`${at} ${status} ${t}`, m] as [string, Media]),
          ),
        ];
        for (const [where, m] of media) {
          if (!m.schema) continue;
          if (m.example !== undefined) check(where, m.schema, m.example);
          for (const [name, e] of Object.entries(m.examples ?? {})) check(`${where} ${name}`, m.schema, e.value);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

interface Media {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface FullOperation {
  parameters?: { name: string; schema: unknown; example?: unknown }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
