import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorBody } from '../../schema/wire/errors.ts';

/**
 * The one error type handlers throw. `app.onError` turns it into
 * `{ error: { code, message, field? } }` with its status.
 */
export class ApiError extends HTTPException {
  readonly code: string;
  readonly field: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: { field?: string; headers?: Record<string, string> } = {},
  ) {
    super(status, { message });
    this.code = code;
    this.field = options.field;
    this.headers = options.headers;
  }

  body(): ErrorBody {
    return errorBody(this.code, this.message, this.field);
  }

  /** The same error as a plain Response, for Durable Objects that answer `fetch` outside Hono. */
  response(): Response {
    return Response.json(this.body(), { status: this.status, headers: this.headers });
  }
}

/** `{ error: { code, message, field? } }`: the only shape an error body takes, here or in an example. */
export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: { code, message, ...(field ? { field } : {}) } };
}

export const badRequest = (code: string, message: string, field?: string) =>
  new ApiError(400, code, message, field ? { field } : {});
export const unauthorized = (message = 'missing or invalid credentials') => new ApiError(401, 'unauthorized', message);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** Turns the first zod issue into a 400 naming the field, e.g. `samples.3.value`. */
export function fromZodError(
  err: { issues: readonly { path: readonly PropertyKey[]; message: string; keys?: readonly string[] }[] },
  prefix?: string,
): ApiError {
  const issue = err.issues[0];
  const join = (parts: (string | undefined)[]) => parts.filter((p) => p !== undefined && p !== '').join('.');
  const path = join([prefix, ...(issue?.path ?? []).map(String)]);
  const message = issue ? (path ? `${path}: ${issue.message}` : issue.message) : 'invalid input';
  // An unknown key is reported on its parent object; the field names the key itself, so callers see what to drop.
  const field = join([path, issue?.keys?.[0]]);
  return badRequest('invalid_input', message, field || undefined);
}
