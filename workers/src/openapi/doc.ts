import type { Context, MiddlewareHandler } from 'hono';
// zod/mini's functions accept classic and mini schemas alike; wire schemas shared with the agent are mini.
import type * as z from 'zod/mini';
import type { AppEnv } from '../app-env.ts';
import { authenticateCaller, sessionOnly } from '../middleware/auth/index.ts';
import { requireDevice } from '../middleware/device-auth/index.ts';
import { readJsonBody } from '../services/http/body.ts';
import { parse } from '../services/http/validate.ts';
import { isDeniedWrite, recordDenied } from '../services/audit/denied.ts';
import type { Permission } from '../services/access/permissions.ts';

/**
 * How an operation authenticates. `caller` is an API key or a dashboard session; `session` only
 * a signed-in user (an API key has no user: it gets 403).
 */
export type OperationAuth = 'caller' | 'session' | 'device' | 'none';

/** Whether an operation is called by a user or a key, and so declares a permission. */
export const byCaller = (op: { auth: OperationAuth }) => op.auth === 'caller' || op.auth === 'session';

type Schema = z.core.$ZodType;

export interface ResponseDoc {
  description?: string;
  /** Body schema (zod) of a JSON answer; omit for non-JSON bodies and give `contentType`. */
  schema?: Schema;
  /** Defaults to application/json. */
  contentType?: string;
  /** Further content types the same status can answer with, each with its example. */
  alternatives?: { contentType: string; example: unknown; schema?: Record<string, unknown> }[];
  /** An example body for this status; it must validate against `schema`. */
  example?: unknown;
}

/**
 * Everything the OpenAPI document says about one route, and what {@link doc} enforces: the
 * credential, then path parameters, query and JSON body, each parsed with the schema given here.
 */
export interface OperationDoc<
  P extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  B extends Schema | undefined = Schema | undefined,
> {
  /** Unique, camelCase, e.g. `listDevices`. */
  operationId: string;
  summary: string;
  description?: string;
  /** One tag per area, e.g. `Devices`, `Telemetry`, `Export`. */
  tag: string;
  auth: OperationAuth;
  /**
   * What the caller needs (when `auth` is `caller`), from the one permission table
   * (services/access/permissions.ts); checked after authentication, before any input. Required
   * for caller operations: the OpenAPI test fails an operation without one.
   */
  permission?: Permission;
  /** Path parameters, as an object schema keyed by the `:name`s of the path. */
  params?: P;
  query?: Q;
  /** JSON body: `Content-Type: application/json` is required (415 otherwise). */
  body?: B;
  /** Largest body accepted, after gzip decoding (413 beyond it); 256 KiB unless given. */
  bodyMaxBytes?: number | ((env: Env) => number);
  /**
   * Parses the raw JSON body where the parse depends on settings (ingest's configured sample
   * cap). It must apply `body`'s schema, so the document and the check stay one.
   */
  parseBody?: (raw: unknown, env: Env) => B extends Schema ? z.output<B> : never;
  /** Request example: every operation has one. Values are what a caller would send. */
  example: { params?: Record<string, string>; query?: Record<string, string | number>; body?: unknown };
  /** Success and the documented error statuses. Every 4xx body is the shared error shape. */
  responses: Record<number, ResponseDoc>;
}

/** Property under which {@link doc} hangs its metadata on the middleware function. */
export const OPERATION_DOC = Symbol.for('edgewatch.operationDoc');

const DEFAULT_BODY_MAX_BYTES = 256 * 1024;

type Out<S, K extends string> = S extends Schema ? { [k in K]: z.output<S> } : object;
type Validated<P, Q, B> = [P, Q, B] extends [undefined, undefined, undefined]
  ? object
  : { out: Out<P, 'param'> & Out<Q, 'query'> & Out<B, 'json'> };

export type DocumentedHandler<I extends object = object> = MiddlewareHandler<AppEnv, string, I> & {
  [OPERATION_DOC]: OperationDoc;
};

/**
 * Documents a route and enforces what it documents. Put it first in the chain,
 * `.get('/:id', doc({...}), (c) => c.req.valid('param').id)`: it authenticates (`auth`,
 * `scope`: 401/403 before any 400), then parses `params`, `query` and `body` with their
 * schemas and hands the parsed values to the handler through `c.req.valid('param' | 'query' | 'json')`.
 * The OpenAPI generator walks `app.routes` and reads the same metadata back.
 */
export function doc<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
>(operation: OperationDoc<P, Q, B>): DocumentedHandler<Validated<P, Q, B>> {
  const handler: MiddlewareHandler<AppEnv> = async (c, next) => {
    c.set('operationId', operation.operationId);
    await authenticate(c, operation);
    if (operation.params) c.req.addValidatedData('param', parse(operation.params, c.req.param()) as object);
    if (operation.query) c.req.addValidatedData('query', parse(operation.query, c.req.query()) as object);
    if (operation.body) {
      const max = operation.bodyMaxBytes ?? DEFAULT_BODY_MAX_BYTES;
      const raw = await readJsonBody(c.req.raw, typeof max === 'function' ? max(c.env) : max);
      const body = operation.parseBody ? operation.parseBody(raw, c.env) : parse(operation.body, raw);
      c.req.addValidatedData('json', body as object);
    }
    await next();
  };
  return Object.assign(handler, { [OPERATION_DOC]: operation as OperationDoc });
}

async function authenticate(c: Context<AppEnv>, op: OperationDoc<Schema | undefined>): Promise<void> {
  if (byCaller(op)) {
    if (!op.permission) throw new Error(`operation ${op.operationId} declares no permission`);
    try {
      const caller = await authenticateCaller(c, op.permission);
      if (op.auth === 'session' && caller.via !== 'session') throw sessionOnly();
    } catch (err) {
      // A refused write is recorded (outcome `denied`); a refused read is not.
      if (isDeniedWrite(c, err)) await recordDenied(c);
      throw err;
    }
  } else if (op.auth === 'device') await requireDevice()(c, async () => {});
}

export function operationOf(handler: unknown): OperationDoc | undefined {
  return typeof handler === 'function' ? (handler as Partial<DocumentedHandler>)[OPERATION_DOC] : undefined;
}
