import { z } from 'zod';
import { alertSeverities } from '../../../../schema/tables/alerts.ts';
import type { SilenceView } from '../../../../schema/wire/alerts.ts';
import { timestampMs } from '../../../../schema/wire/ingest.ts';
import { cursorParam, idParams, idString, pageLimit } from '../http/query-schemas.ts';

/** Request and answer schemas of `/v1/silences`, shared by the handlers and their OpenAPI docs. */

/** The longest a silence may last. */
export const SILENCE_MAX_MS = 90 * 86_400_000;

/**
 * One matcher of a new silence: the wire's `silenceMatcher`, with each field's value checked
 * for its kind (ids for rules, devices and sites; a severity by name). Whether the rule,
 * device or site exists in the org is checked by the handler.
 */
const matcher = z.discriminatedUnion('field', [
  z.strictObject({ field: z.literal('rule'), value: idString('a rule matcher value') }),
  z.strictObject({ field: z.literal('device'), value: idString('a device matcher value') }),
  z.strictObject({ field: z.literal('site'), value: idString('a site matcher value') }),
  z.strictObject({ field: z.literal('tag'), value: z.string().min(1).max(64) }),
  z.strictObject({ field: z.literal('severity'), value: z.enum(alertSeverities) }),
]);

export const createSilenceBody = z.strictObject({
  matchers: z
    .array(matcher)
    .min(1, 'matchers must hold at least one matcher, e.g. {"field":"device","value":"dev_…"}')
    .max(20)
    .describe('Every matcher must hold for an incident to be silenced'),
  startsAt: timestampMs.optional().describe('Epoch ms; now when absent'),
  endsAt: timestampMs.describe('Epoch ms, after startsAt and in the future, at most 90 days after startsAt'),
  comment: z.string().max(1000).optional(),
});
export type CreateSilenceBody = z.output<typeof createSilenceBody>;

export const silenceStates = ['active', 'pending', 'expired', 'all'] as const;

export const silenceListQuery = z.strictObject({
  state: z
    .enum(silenceStates)
    .default('active')
    .describe('`active` (now within its window, the default), `pending` (not started), `expired` or `all`'),
  cursor: cursorParam.optional(),
  limit: pageLimit(100, 500),
});
export type SilenceListQuery = z.output<typeof silenceListQuery>;

export const silenceParams = idParams('silence');

export const silenceViewSchema = z.object({
  id: z.string(),
  matchers: z.array(z.object({ field: z.enum(['rule', 'device', 'site', 'tag', 'severity']), value: z.string() })),
  startsAt: z.number().int(),
  endsAt: z.number().int(),
  comment: z.string().nullable(),
  createdBy: z.string().nullable().describe('The user who created it; null for an API key'),
  createdAt: z.number().int(),
  state: z.enum(['pending', 'active', 'expired']),
}) satisfies z.ZodType<SilenceView>;

export const silencePageSchema = z.object({
  silences: z.array(silenceViewSchema),
  nextCursor: z.string().nullable(),
});
