import { z } from 'zod';
import { nonBlank } from './text.ts';

/**
 * Alert rules, incidents, silences and notification channels: the shapes the API accepts and
 * answers, and the messages the DeviceHub queues for delivery. Written up in docs/alerts.md.
 * The dashboard imports types only (`import type`), so zod stays out of its bundle.
 */

export const alertScopeKinds = ['device', 'site', 'tag', 'org'] as const;
export type AlertScopeKind = (typeof alertScopeKinds)[number];

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'expected an id such as dev_01JD5X3M');
const durationMs = (max: number) => z.number().int().min(0).max(max);
const DAY = 86_400_000;

export const labelMatcher = z.strictObject({
  label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'expected a label name such as mount'),
  op: z.enum(['=', '!=', '=~']),
  /** For `=~`, an RE2-compatible regular expression matched against the whole value. */
  value: z.string().max(500),
});
export type LabelMatcher = z.infer<typeof labelMatcher>;

export const alertScope = z.strictObject({
  kind: z.enum(alertScopeKinds),
  /** Device id, site id or tag; absent for `org`. */
  value: z.string().min(1).max(200).optional(),
});
export type AlertScope = z.infer<typeof alertScope>;

export const comparison = z.enum(['>', '>=', '<', '<=']);
export type Comparison = z.infer<typeof comparison>;

/** One level of a threshold rule: fire past `value`, clear only once back past `clear` (hysteresis). */
export const thresholdLevel = z.strictObject({
  value: z.number(),
  /** Defaults to `value` (no hysteresis). Must be on the safe side of `value`. */
  clear: z.number().optional(),
});
export type ThresholdLevel = z.infer<typeof thresholdLevel>;

export const aggregation = z.strictObject({
  fn: z.enum(['mean', 'max', 'min']),
  windowMs: durationMs(DAY).min(1_000),
});
export type WindowAggregation = z.infer<typeof aggregation>;

const levels = {
  op: comparison,
  warning: thresholdLevel.optional(),
  critical: thresholdLevel.optional(),
};

export const alertCondition = z.discriminatedUnion('kind', [
  /** The value (or its aggregate over a window) compared with warning/critical thresholds. */
  z.strictObject({ kind: z.literal('threshold'), ...levels, aggregation: aggregation.optional() }),
  /** Change per second over `windowMs` (last − first) / seconds, compared like a threshold. */
  z.strictObject({ kind: z.literal('rate'), ...levels, windowMs: durationMs(DAY).min(1_000) }),
  /** A matching series that received no sample for `afterMs` (honours `forMs` too). */
  z.strictObject({ kind: z.literal('no_data'), afterMs: durationMs(30 * DAY).min(1_000) }),
  /** The device sent no batch for `afterMs`; default twice its collection interval. */
  z.strictObject({
    kind: z.literal('offline'),
    afterMs: durationMs(30 * DAY)
      .min(1_000)
      .optional(),
  }),
]);
export type AlertCondition = z.infer<typeof alertCondition>;

export const alertRuleBody = z.strictObject({
  name: nonBlank('name is required, e.g. "Disk almost full"').max(200),
  description: z.string().max(2000).optional(),
  enabled: z.boolean().default(true),
  scope: alertScope,
  /** Required except for `offline` rules. */
  metric: z.string().min(1).max(200).optional(),
  matchers: z.array(labelMatcher).max(20).default([]),
  condition: alertCondition,
  forMs: durationMs(7 * DAY).default(0),
  keepFiringForMs: durationMs(7 * DAY).default(0),
  repeatIntervalMs: durationMs(30 * DAY)
    .min(60_000)
    .nullable()
    .default(null),
});
export type AlertRuleBody = z.infer<typeof alertRuleBody>;

/** A rule as the API answers it. */
export interface AlertRuleView extends AlertRuleBody {
  id: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export type AlertSeverity = 'warning' | 'critical';
export type IncidentState = 'pending' | 'firing' | 'resolved';

/** An incident as the API answers it. */
export interface IncidentView {
  id: string;
  ruleId: string | null;
  ruleName: string;
  deviceId: string;
  siteId: string | null;
  tags: string[];
  seriesId: string;
  metric: string | null;
  labels: Record<string, string>;
  state: IncidentState;
  severity: AlertSeverity;
  peakSeverity: AlertSeverity;
  value: number | null;
  threshold: number | null;
  summary: string;
  startedAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
  acknowledged: { at: number; by: string | null; note: string | null } | null;
  /** Whether an active silence covers it now. */
  silenced: boolean;
}

export const silenceMatcher = z.strictObject({
  field: z.enum(['rule', 'device', 'site', 'tag', 'severity']),
  value: z.string().min(1).max(200),
});
export type SilenceMatcher = z.infer<typeof silenceMatcher>;

/**
 * A silence as the API answers it. `state` is computed at answer time: `pending` before
 * `startsAt`, `active` within `[startsAt, endsAt)`, `expired` from `endsAt`.
 */
export interface SilenceView {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  comment: string | null;
  /** The user who created it; null when an API key did (the audit log names the key). */
  createdBy: string | null;
  createdAt: number;
  state: 'pending' | 'active' | 'expired';
}

export const webhookFilters = z.strictObject({
  /** Only these severities; absent means all. */
  severities: z
    .array(z.enum(['warning', 'critical']))
    .min(1)
    .optional(),
  ruleIds: z.array(id).min(1).max(100).optional(),
  siteIds: z.array(id).min(1).max(100).optional(),
  /** Only incidents of these devices. */
  deviceIds: z.array(id).min(1).max(100).optional(),
  /** Only incidents of devices that carried one of these tags when the incident opened. */
  tags: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
});
export type WebhookFilters = z.infer<typeof webhookFilters>;

/**
 * Messages on ALERTS_QUEUE. The DeviceHub sends `alert.notify` for every incident transition
 * (and for repeats); the consumer matches channels and silences, records one delivery per
 * channel, and sends each as `webhook.deliver` (retried with delays by the consumer).
 */
export type AlertTransition = 'firing' | 'escalated' | 'deescalated' | 'resolved' | 'acknowledged' | 'unacknowledged';

export interface AlertNotifyMessage {
  type: 'alert.notify';
  orgId: string;
  incidentId: string;
  transition: AlertTransition;
  /** A repeat of a still-firing, unacknowledged incident. */
  repeat: boolean;
  at: number;
}

export interface WebhookDeliverMessage {
  type: 'webhook.deliver';
  orgId: string;
  deliveryId: string;
}
