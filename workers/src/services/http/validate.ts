// zod/mini's functions accept classic and mini schemas alike; wire schemas shared with the agent are mini.
import * as z from 'zod/mini';
import { fromZodError } from '../../errors.ts';

/**
 * Parses `raw` with `schema`, or throws a 400 naming the first bad field (prefixed by `prefix`).
 * Routes never call it: `doc()` parses their params, query and body with it.
 */
export function parse<S extends z.core.$ZodType>(schema: S, raw: unknown, prefix?: string): z.infer<S> {
  const result = z.safeParse(schema, raw);
  if (!result.success) throw fromZodError(result.error, prefix);
  return result.data;
}
