import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest, fromZodError } from '../errors.ts';

/** Parses a JSON body against a schema, or throws a 400 naming the bad field. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw badRequest('invalid_json', 'request body must be valid JSON');
  }
  return parse(schema, raw);
}

/** Validates query parameters against a schema, or throws a 400 naming the bad parameter. */
export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return parse(schema, c.req.query());
}

export function parse<S extends z.ZodType>(schema: S, raw: unknown, prefix?: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw fromZodError(result.error, prefix);
  return result.data;
}
