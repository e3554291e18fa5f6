import { z } from 'zod';

/** A time in a query string: epoch milliseconds or an ISO 8601 date. */
export const queryTime = z.string().transform((s, ctx) => {
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is not epoch milliseconds or an ISO 8601 time (e.g. 2026-11-22T10:00:00Z)`,
    });
    return z.NEVER;
  }
  return ms;
});
