import { z } from 'zod';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../time.ts';

/** Steps of the history API: parsing, bucket counting and the automatic choice. */

/** The smallest step: finer buckets than a second say nothing the raw points don't. */
export const MIN_STEP_MS = 1_000;
/** Steps tried, smallest first, when the caller gives none. */
const AUTO_STEPS_MS = [MINUTE_MS, 5 * MINUTE_MS, 15 * MINUTE_MS, HOUR_MS, 6 * HOUR_MS, DAY_MS];
/** Points per series an automatic step aims at, at most. */
export const AUTO_MAX_POINTS = 1_000;

const UNIT_MS = { s: 1_000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS } as const;

/** `step=`: integer milliseconds (`30000`) or a duration (`10s`, `5m`, `1h`, `1d`), at least 1 s. */
export const stepParam = z
  .string()
  // The same rule as below as a pattern, so the OpenAPI document states it: >= 1000 ms, or a count of a unit.
  .regex(/^([1-9]\d{3,14}|[1-9]\d{0,7}[smhd])$/, 'give milliseconds (at least 1000) or a duration (10s, 5m, 1h, 1d)')
  .transform((s, ctx) => {
    const m = /^(\d{1,15})([smhd])?$/.exec(s);
    const ms = m ? Number(m[1]) * (m[2] ? UNIT_MS[m[2] as keyof typeof UNIT_MS] : 1) : NaN;
    if (!Number.isSafeInteger(ms) || ms < MIN_STEP_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is not a step of at least 1s: give milliseconds (30000) or a duration (10s, 5m, 1h, 1d)`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** Buckets of `stepMs` (aligned to the epoch) that [from, to) touches. */
export function bucketCount(from: number, to: number, stepMs: number): number {
  return Math.floor((to - 1) / stepMs) - Math.floor(from / stepMs) + 1;
}

/** The smallest standard step, a multiple of `multipleOf`, giving at most {@link AUTO_MAX_POINTS} buckets. */
export function autoStep(from: number, to: number, multipleOf: number): number {
  const fit = AUTO_STEPS_MS.find((s) => s % multipleOf === 0 && bucketCount(from, to, s) <= AUTO_MAX_POINTS);
  // Beyond ~3 years: whole days, sized so that even an unaligned range stays within the cap.
  return fit ?? Math.ceil((to - from) / ((AUTO_MAX_POINTS - 1) * DAY_MS)) * DAY_MS;
}
