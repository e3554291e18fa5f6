import { z } from 'zod';

/** Request building blocks shared by the routes: ids, id lists, pages. */

const ID = '[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}';

/** What every id the API hands out looks like (`dev_…`, `s_…`, `site_…`): never empty. */
export const ID_PATTERN = new RegExp(`^${ID}$`);

/** An id in a path, query or body; `what` names it in the message, e.g. `siteId`. */
export const idString = (what: string) =>
  z.string().regex(ID_PATTERN, `${what} must be an id: 1-100 characters of [A-Za-z0-9_.:-], starting alphanumeric`);

/** `{ id }`: the path parameters of `/…/:id` routes. */
export const idParams = (what: string) => z.strictObject({ id: idString(`${what} id`) });

/** A comma-separated list of ids, e.g. `series=s_a,s_b`, at most `max` distinct ones. */
export function idList(what: string, max: number) {
  return z
    .string()
    .regex(new RegExp(`^${ID}(,${ID})*$`), `give comma-separated ${what} ids (e.g. s_a,s_b), none empty`)
    .describe(`Comma-separated ${what} ids, at most ${max} distinct`)
    .transform((s) => [...new Set(s.split(','))])
    .pipe(z.array(z.string()).max(max, `at most ${max} ${what} ids per request`));
}

/** Page size: `limit=1..max`, defaulting to `fallback`. */
export const pageLimit = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** An opaque cursor from a previous page: base64url, as `nextCursor` gave it. */
export const cursorParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,500}$/, 'cursor: not a cursor from a previous page')
  .describe('`nextCursor` of the previous page, unchanged');
