import { z } from 'zod';

/**
 * Epoch milliseconds, or an ISO 8601 date or date-time (`2026-11-22`, `2026-11-22T10:00:00Z`,
 * with an optional fraction and offset). Every string matching it is a time, so the document
 * promises nothing the parse refuses.
 */
export const QUERY_TIME_PATTERN =
  /^(\d{1,15}|\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?)$/;

/** A time in a query string, as epoch milliseconds. */
export const queryTime = z
  .string()
  .regex(
    QUERY_TIME_PATTERN,
    'must be epoch milliseconds or an ISO 8601 time (e.g. 1795341600000 or 2026-11-22T10:00:00Z)',
  )
  .describe('Epoch milliseconds or an ISO 8601 date-time, e.g. 2026-11-22T10:00:00Z')
  .transform((s, ctx) => {
    const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a time` });
      return z.NEVER;
    }
    return ms;
  });
