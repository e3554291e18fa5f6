import pkg from '../../../package.json' with { type: 'json' };
import { ERROR_SCHEMA, implicitResponses, SECURITY, SECURITY_SCHEMES, TAG_DESCRIPTIONS } from './components.ts';
import { type Permission, roleFor, scopeFor } from '../services/access/permissions.ts';
import { byCaller, operationOf, type OperationDoc, type ResponseDoc } from './doc.ts';
import { type JsonSchema, parametersOf, toJsonSchema } from './json-schema.ts';

/** What Hono lists in `app.routes`. */
export interface RouteEntry {
  method: string;
  path: string;
  handler: unknown;
}

type Operation = Record<string, unknown>;

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds until the current rate-limit window ends',
    schema: { type: 'integer', minimum: 1 },
  },
};

/** `/v1/devices/:id` → `/v1/devices/{id}`, with the names of its parameters. */
export function openApiPath(path: string): { path: string; names: string[] } {
  const names: string[] = [];
  const converted = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, (_m, name: string) => {
    names.push(name);
    return `{${name}}`;
  });
  return { path: converted, names };
}

/** The documented operations among `routes`, one per method and path. */
export function documentedOperations(
  routes: readonly RouteEntry[],
): { method: string; path: string; op: OperationDoc }[] {
  const seen = new Map<string, { method: string; path: string; op: OperationDoc }>();
  for (const route of routes) {
    const op = operationOf(route.handler);
    const key = `${route.method} ${route.path}`;
    if (op && !seen.has(key)) seen.set(key, { method: route.method.toLowerCase(), path: route.path, op });
  }
  return [...seen.values()];
}

/** Builds the OpenAPI 3.1 document of every route documented with `doc()`. */
export function generateOpenApi(routes: readonly RouteEntry[]): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  const tags: string[] = [];
  for (const { method, path, op } of documentedOperations(routes)) {
    const { path: oaPath, names } = openApiPath(path);
    if (!tags.includes(op.tag)) tags.push(op.tag);
    const revalidated = method === 'get' && path.startsWith('/v1/') && answersJson(op);
    (paths[oaPath] ??= {})[method] = operation(op, method, path, names, revalidated);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Edgewatch API',
      version: pkg.version,
      description:
        'Telemetry ingest, reads, live streams and administration. Errors are `{ "error": { "code", "message", "field"? } }`; every response carries `X-Request-Id`.',
      license: { name: pkg.license, identifier: pkg.license },
    },
    servers: [{ url: '/' }],
    tags: tags.map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name })),
    paths,
    components: { schemas: { Error: ERROR_SCHEMA }, securitySchemes: SECURITY_SCHEMES },
  };
}

/** A JSON success: the etag middleware gives those an ETag, so they may answer 304. */
function answersJson(op: OperationDoc): boolean {
  const ok = op.responses[200];
  return ok !== undefined && (ok.contentType ?? 'application/json').startsWith('application/json');
}

function operation(
  op: OperationDoc,
  method: string,
  path: string,
  pathNames: string[],
  revalidated: boolean,
): Operation {
  const parameters = [
    ...parametersOf('path', op.params, op.example.params, pathNames),
    ...parametersOf('query', op.query, op.example.query),
  ];
  const implicit = implicitResponses(op, method, path);
  const statuses = new Set([...Object.keys(implicit), ...Object.keys(op.responses)].map(Number));
  if (revalidated) statuses.add(304);
  const responses: Record<string, unknown> = {};
  for (const status of [...statuses].sort((a, b) => a - b)) {
    const own = op.responses[status];
    const general = implicit[status];
    const examples: Record<string, unknown> = { ...general?.examples };
    if (own?.example !== undefined) examples[exampleName(own.example, status)] = own.example;
    const description =
      own?.description ?? general?.description ?? 'Not modified: `If-None-Match` matched the current ETag';
    responses[String(status)] = response(status, { ...own, description }, examples);
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: op.description ?? op.summary,
    tags: [op.tag],
    security: SECURITY[op.auth],
    ...(byCaller(op) ? permissionExtensions(op.permission ?? 'org.read') : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: toJsonSchema(op.body),
                ...(op.example.body !== undefined ? { example: op.example.body } : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

/** An error example is named by its code; any other by its status. */
function exampleName(example: unknown, status: number): string {
  const code = (example as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : `status${status}`;
}

function response(status: number, r: ResponseDoc, examples: Record<string, unknown>): Record<string, unknown> {
  if (status === 101 || status === 204 || status === 304) return { description: r.description };
  const isError = status >= 400;
  const schema: JsonSchema | undefined = r.schema
    ? toJsonSchema(r.schema, 'output')
    : isError
      ? { $ref: '#/components/schemas/Error' }
      : undefined;
  const values = Object.entries(examples);
  const media: Record<string, unknown> = {
    ...(schema ? { schema } : {}),
    ...(values.length === 1
      ? { example: values[0]![1] }
      : values.length > 1
        ? { examples: Object.fromEntries(values.map(([name, value]) => [name, { value }])) }
        : {}),
  };
  const content: Record<string, unknown> = { [r.contentType ?? 'application/json']: media };
  for (const alt of r.alternatives ?? []) {
    content[alt.contentType] = { ...(alt.schema ? { schema: alt.schema } : {}), example: alt.example };
  }
  return {
    description: r.description,
    ...(status === 429 ? { headers: RETRY_AFTER } : {}),
    content,
  };
}

/** `x-permission`, the least `x-required-role`, and the `x-required-scope` a key needs (absent: no key may). */
function permissionExtensions(permission: Permission): Record<string, string> {
  const scope = scopeFor(permission);
  return {
    'x-permission': permission,
    'x-required-role': roleFor(permission),
    ...(scope ? { 'x-required-scope': scope } : {}),
  };
}
