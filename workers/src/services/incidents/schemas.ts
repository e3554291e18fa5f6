import { z } from 'zod';
import { alertSeverities, incidentStates, type IncidentState } from '../../../../schema/tables/alerts.ts';
import type { IncidentView } from '../../../../schema/wire/alerts.ts';
import { queryTime } from '../history/time-query.ts';
import { cursorParam, idParams, idString, pageLimit } from '../http/query-schemas.ts';

/** Request and answer schemas of `/v1/incidents`, shared by the handlers and their OpenAPI docs. */

/** What `state=` accepts: the three states, `open` (pending and firing) and `all`. */
const STATE_WORDS = [...incidentStates, 'open', 'all'] as const;
const stateWord = `(${STATE_WORDS.join('|')})`;

/** `state=pending,firing`: a comma list of states (repeating `state=` works too), as a set. */
export const stateList = z
  .string()
  .max(100)
  .regex(
    new RegExp(`^${stateWord}(,${stateWord})*$`),
    `state must be a comma list of ${STATE_WORDS.join(', ')} (e.g. pending,firing)`,
  )
  .describe('Comma list of pending, firing, resolved, `open` (pending and firing) or `all`; default open')
  .transform((s): IncidentState[] => {
    const words = new Set(s.split(','));
    return incidentStates.filter(
      (state) => words.has(state) || words.has('all') || (words.has('open') && state !== 'resolved'),
    );
  });

export const incidentListQuery = z
  .strictObject({
    state: stateList.optional(),
    severity: z.enum(alertSeverities).optional().describe('The current severity'),
    deviceId: idString('deviceId').optional(),
    ruleId: idString('ruleId').optional(),
    siteId: idString('siteId').optional().describe("The device's site when the incident opened"),
    acknowledged: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    from: queryTime.optional().describe('Incidents started at or after this time'),
    to: queryTime.optional().describe('Incidents started before this time'),
    cursor: cursorParam.optional(),
    limit: pageLimit(100, 500),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });
export type IncidentListQuery = z.output<typeof incidentListQuery>;

export const incidentParams = idParams('incident');

export const ackBody = z.strictObject({
  note: z.string().max(1000).optional().describe('Why, or what is being done; shown with the incident'),
});

const severity = z.enum(alertSeverities);

/** The answer shape of one incident (the documented form of {@link IncidentView}). */
export const incidentViewSchema = z.object({
  id: z.string(),
  ruleId: z.string().nullable(),
  ruleName: z.string(),
  deviceId: z.string(),
  siteId: z.string().nullable(),
  tags: z.array(z.string()),
  seriesId: z.string(),
  metric: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  state: z.enum(incidentStates),
  severity,
  peakSeverity: severity,
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  summary: z.string(),
  startedAt: z.number().int(),
  firedAt: z.number().int().nullable(),
  resolvedAt: z.number().int().nullable(),
  acknowledged: z
    .object({ at: z.number().int(), by: z.string().nullable(), note: z.string().nullable() })
    .nullable()
    .describe('Who acknowledged it (a user id; null for an API key), when, with the note'),
  silenced: z.boolean().describe('Whether an active silence covers it now'),
}) satisfies z.ZodType<IncidentView>;

export const incidentPageSchema = z.object({
  incidents: z.array(incidentViewSchema),
  nextCursor: z.string().nullable(),
});
