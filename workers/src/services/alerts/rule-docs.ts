import { z } from 'zod';
import { alertRuleBody, type AlertRuleBody, type AlertRuleView } from '../../../../schema/wire/alerts.ts';
import { notFound } from '../../errors.ts';
import { idString } from '../http/query-schemas.ts';
import { badRequest } from '../../errors.ts';

/** Request and answer schemas of `/v1/alert-rules`, with their examples. */

const s = alertRuleBody.shape;

/** A partial update: fields given replace the stored ones (`scope`, `matchers`, `condition` whole); null clears. */
export const alertRulePatch = z.strictObject({
  name: s.name.optional(),
  description: s.description.unwrap().nullable().optional(),
  enabled: s.enabled.unwrap().optional(),
  scope: s.scope.optional(),
  metric: s.metric.unwrap().nullable().optional(),
  matchers: s.matchers.unwrap().optional(),
  condition: s.condition.optional(),
  forMs: s.forMs.unwrap().optional(),
  keepFiringForMs: s.keepFiringForMs.unwrap().optional(),
  repeatIntervalMs: s.repeatIntervalMs.unwrap().optional(),
});
export type AlertRulePatch = z.infer<typeof alertRulePatch>;

/** A rule to try, not stored: the body of a create (its name optional), which device, how far back. */
export const alertRulePreviewBody = alertRuleBody.extend({
  name: s.name.optional(),
  deviceId: idString('deviceId').optional().describe('Only this device (it must be in the scope)'),
  hours: z.number().int().min(1).max(48).default(6).describe('How far back: 1 to 48 hours, 6 by default'),
});

export const alertRuleListQuery = z.strictObject({
  deviceId: idString('deviceId')
    .optional()
    .describe('Rules whose scope covers this device: it, its site, a tag of it, or the org'),
  siteId: idString('siteId').optional().describe('Rules scoped to this site'),
  tag: z.string().min(1).max(64).optional().describe('Rules scoped to this tag'),
  enabled: z.enum(['true', 'false']).optional(),
});

export const alertRuleView = alertRuleBody.extend({
  id: z.string(),
  version: z.number().int().describe('Grows by one on every change'),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});

const transition = z.enum(['pending', 'firing', 'escalated', 'deescalated', 'resolved']);
const phase = z.enum(['normal', 'pending', 'firing']);

export const previewAnswer = z.object({
  from: z.number().int(),
  to: z.number().int(),
  devices: z.number().int(),
  series: z.number().int(),
  samples: z.number().int(),
  truncated: z.boolean(),
  counts: z.object({
    pending: z.number().int(),
    firing: z.number().int(),
    escalated: z.number().int(),
    deescalated: z.number().int(),
    resolved: z.number().int(),
    incidents: z.number().int(),
  }),
  transitions: z.array(
    z.object({
      deviceId: z.string(),
      seriesId: z.string(),
      metric: z.string().nullable(),
      labels: z.record(z.string(), z.string()),
      transition,
      from: phase,
      to: phase,
      at: z.number().int(),
      severity: z.enum(['warning', 'critical']),
      value: z.number().nullable(),
      threshold: z.number().nullable(),
      neverFired: z.boolean().optional(),
    }),
  ),
});

export const RULE_ID = 'alr_01JD5X3M';

export const ruleBodyExample: AlertRuleBody = {
  name: 'Disk almost full',
  description: 'Root filesystem, averaged over 5 minutes',
  enabled: true,
  scope: { kind: 'org' },
  metric: 'disk_used_percent',
  matchers: [{ label: 'mount', op: '=', value: '/' }],
  condition: {
    kind: 'threshold',
    op: '>',
    warning: { value: 85, clear: 80 },
    critical: { value: 95, clear: 90 },
    aggregation: { fn: 'mean', windowMs: 300_000 },
  },
  forMs: 120_000,
  keepFiringForMs: 60_000,
  repeatIntervalMs: 3_600_000,
};

export const ruleExample: AlertRuleView = {
  id: RULE_ID,
  ...ruleBodyExample,
  version: 1,
  createdAt: 1795000000000,
  updatedAt: 1795000000000,
};

export const previewExample = {
  from: 1794978400000,
  to: 1795000000000,
  devices: 1,
  series: 1,
  samples: 2160,
  truncated: false,
  counts: { pending: 1, firing: 1, escalated: 0, deescalated: 0, resolved: 1, incidents: 1 },
  transitions: [
    ['pending', 'normal', 'pending', 1794990000000, 86.2],
    ['firing', 'pending', 'firing', 1794990120000, 87.9],
    ['resolved', 'firing', 'normal', 1794993000000, 79.4],
  ].map(([t, from, to, at, value]) => ({
    deviceId: 'dev_01JD5X3M',
    seriesId: 's_4f1c2a9e0b7d6c5e3a2f1b0c',
    metric: 'disk_used_percent',
    labels: { mount: '/' },
    transition: t as 'pending',
    from: from as 'normal',
    to: to as 'pending',
    at: at as number,
    severity: 'warning' as const,
    value: value as number,
    threshold: 85,
  })),
};

export const ruleNotFound = (id: string) => notFound(`alert rule "${id}"`);
export const invalidRuleExample = badRequest(
  'invalid_rule',
  'condition.warning.clear: clear (90) must be at or below value (85) for >',
  'condition.warning.clear',
);
