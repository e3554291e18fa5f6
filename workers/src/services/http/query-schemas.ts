import { z } from 'zod';

/** Query-string building blocks shared by the read API. */

/** A comma-separated list of ids, e.g. `series=ser_a,ser_b`, at most `max` of them. */
export function idList(what: string, max: number) {
  return z
    .string()
    .transform((s) => [...new Set(s.split(',').map((p) => p.trim()))].filter((p) => p !== ''))
    .pipe(
      z
        .array(z.string().max(100))
        .min(1, `give at least one ${what} id`)
        .max(max, `at most ${max} ${what} ids per request`),
    );
}

/** Page size: `limit=1..max`, defaulting to `fallback`. */
export const pageLimit = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** An opaque cursor from a previous page. */
export const cursorParam = z.string().min(1).max(500);
