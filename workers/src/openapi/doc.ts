import type { MiddlewareHandler } from 'hono';
import type * as z from 'zod/mini';
import type { ApiKeyScope } from '../../../schema/index.ts';
import type { AppEnv } from '../app-env.ts';

/** How an operation authenticates. `caller` is an API key or a dashboard session. */
export type OperationAuth = 'caller' | 'device' | 'none';

export interface ResponseDoc {
  description: string;
  /** JSON body schema (zod); omit for non-JSON bodies and give `contentType`. */
  schema?: z.core.$ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  /** An example body for this status. */
  example?: unknown;
}

/**
 * Everything the OpenAPI document says about one route. The schemas are the very ones the
 * handler validates with, so the document cannot drift from what the code accepts.
 */
export interface OperationDoc {
  /** Unique, camelCase, e.g. `listDevices`. */
  operationId: string;
  summary: string;
  description?: string;
  /** One tag per area, e.g. `Devices`, `Telemetry`, `Export`. */
  tag: string;
  auth: OperationAuth;
  /** Scope an API key needs (when `auth` is `caller`). */
  scope?: ApiKeyScope;
  /** Path parameters, as an object schema keyed by the `:name`s of the path. */
  params?: z.core.$ZodType;
  query?: z.core.$ZodType;
  body?: z.core.$ZodType;
  /** Request example: every operation has one. Values are what a caller would send. */
  example: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown };
  /** Success and the documented error statuses. Every 4xx body is the shared error shape. */
  responses: Record<number, ResponseDoc>;
}

/** Property under which {@link doc} hangs its metadata on the middleware function. */
export const OPERATION_DOC = Symbol.for('edgewatch.operationDoc');

export type DocumentedHandler = MiddlewareHandler<AppEnv> & { [OPERATION_DOC]: OperationDoc };

/**
 * Documents a route: put it first in the handler chain,
 * `.get('/', doc({...}), requireAuth('read'), handler)`. It does nothing at request time;
 * the OpenAPI generator walks `app.routes` and reads the metadata back.
 */
export function doc(operation: OperationDoc): DocumentedHandler {
  const handler: MiddlewareHandler<AppEnv> = async (_c, next) => {
    await next();
  };
  return Object.assign(handler, { [OPERATION_DOC]: operation });
}

export function operationOf(handler: unknown): OperationDoc | undefined {
  return typeof handler === 'function' ? (handler as Partial<DocumentedHandler>)[OPERATION_DOC] : undefined;
}
