import type { Context } from 'hono';
// zod/mini's functions accept classic and mini schemas alike; wire schemas shared with the agent are mini.
import * as z from 'zod/mini';
import { badRequest, fromZodError } from '../../errors.ts';

/** Parses a JSON body against a schema, or throws a 400 naming the bad field. */
export async function jsonBody<S extends z.core.$ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw badRequest('invalid_json', 'request body must be valid JSON');
  }
  return parse(schema, raw);
}

/** Validates query parameters against a schema, or throws a 400 naming the bad parameter. */
export function queryParams<S extends z.core.$ZodType>(c: Context, schema: S): z.infer<S> {
  return parse(schema, c.req.query());
}

export function parse<S extends z.core.$ZodType>(schema: S, raw: unknown, prefix?: string): z.infer<S> {
  const result = z.safeParse(schema, raw);
  if (!result.success) throw fromZodError(result.error, prefix);
  return result.data;
}
