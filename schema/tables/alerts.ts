import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { AlertCondition, AlertScopeKind, LabelMatcher, SilenceMatcher, WebhookFilters } from '../wire/alerts.ts';
import type { HostNotice } from '../wire/notices.ts';
import { devices } from './devices.ts';
import { organisations, users } from './tenancy.ts';

export const alertSeverities = ['warning', 'critical'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

export const incidentStates = ['pending', 'firing', 'resolved'] as const;
export type IncidentState = (typeof incidentStates)[number];

/**
 * An alert rule: which series (scope + metric + label matchers), what condition, and how it
 * behaves over time. The condition is one JSON column checked by the wire schema, so new
 * condition kinds need no migration. `version` grows on every change: DeviceHubs cache rules
 * and compare it.
 */
export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    scopeKind: text('scope_kind').$type<AlertScopeKind>().notNull(),
    /** Device id, site id or tag; null for the whole org. */
    scopeValue: text('scope_value'),
    /** Metric name; null for `offline` rules, which watch the device rather than a series. */
    metric: text('metric'),
    matchers: text('matchers', { mode: 'json' }).$type<LabelMatcher[]>().notNull(),
    condition: text('condition', { mode: 'json' }).$type<AlertCondition>().notNull(),
    /** How long the condition must hold before pending becomes firing. */
    forMs: integer('for_ms').notNull().default(0),
    /** How long a firing incident stays firing after the condition cleared (against flapping). */
    keepFiringForMs: integer('keep_firing_for_ms').notNull().default(0),
    /** Re-notify a still-firing, unacknowledged incident this often; null never repeats. */
    repeatIntervalMs: integer('repeat_interval_ms'),
    version: integer('version').notNull().default(1),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('alert_rules_org_idx').on(t.orgId, t.name)],
);

/**
 * One incident per (rule, device, series) episode: opened pending, maybe firing, then resolved.
 * A later episode of the same series is a new row. `severity` follows escalation
 * (warning ⇄ critical) within the episode; `peakSeverity` keeps the worst it reached.
 */
export const incidents = sqliteTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    /** Null once the rule is deleted (its open incidents are resolved first). */
    ruleId: text('rule_id').references(() => alertRules.id, { onDelete: 'set null' }),
    ruleName: text('rule_name').notNull(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    /** The device's site and tags when the incident opened, for silences and channel filters. */
    siteId: text('site_id'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    /** Series id (`s_…`); '' for a device-level condition (offline). */
    seriesId: text('series_id').notNull(),
    metric: text('metric'),
    labels: text('labels', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    state: text('state', { enum: incidentStates }).notNull(),
    severity: text('severity', { enum: alertSeverities }).notNull(),
    peakSeverity: text('peak_severity', { enum: alertSeverities }).notNull(),
    /** Last evaluated value (the aggregate or rate when the rule has one); null for absence. */
    value: real('value'),
    /** The threshold the value crossed at the current severity; null for absence. */
    threshold: real('threshold'),
    summary: text('summary').notNull(),
    startedAt: integer('started_at').notNull(),
    firedAt: integer('fired_at'),
    resolvedAt: integer('resolved_at'),
    updatedAt: integer('updated_at').notNull(),
    acknowledgedAt: integer('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by').references(() => users.id, { onDelete: 'set null' }),
    ackNote: text('ack_note'),
    /** When the last notification (first or repeat) was queued, and how many were. */
    lastNotifiedAt: integer('last_notified_at'),
    notifications: integer('notifications').notNull().default(0),
  },
  (t) => [
    index('incidents_org_state_idx').on(t.orgId, t.state, t.startedAt),
    index('incidents_org_device_idx').on(t.orgId, t.deviceId, t.startedAt),
    index('incidents_rule_idx').on(t.ruleId),
  ],
);

/** A time window in which incidents whose fields all match the matchers notify no one. */
export const silences = sqliteTable(
  'silences',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    matchers: text('matchers', { mode: 'json' }).$type<SilenceMatcher[]>().notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    comment: text('comment'),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('silences_org_ends_idx').on(t.orgId, t.endsAt)],
);

/** `host`: no URL and no secret; notices go to the affected agents over their config channel (`hostNotices`). */
export const webhookKinds = ['generic', 'slack', 'discord', 'host'] as const;
export type WebhookKind = (typeof webhookKinds)[number];

/**
 * Which agents a `host` channel's notices go to: `covered`, every enrolled device its filters'
 * devices, sites and tags cover (the whole org without them), so the operators of a group of
 * machines see each other's incidents; `incident`, only the incident's own device.
 */
export const hostTargets = ['covered', 'incident'] as const;
export type HostTargets = (typeof hostTargets)[number];

/**
 * A notification channel. The signing secret must be read back to sign, so it cannot be
 * hashed: it is stored encrypted (AES-GCM under the Worker secret, see services/notify).
 * During a rotation the previous secret signs too, until `previousSecretExpiresAt`. A `host`
 * channel has neither URL nor secret: both columns hold '' (the API shows null).
 */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: webhookKinds }).notNull(),
    url: text('url').notNull(),
    secretEnc: text('secret_enc').notNull(),
    /** First characters of the secret (`whsec_ab12…`), so people can tell secrets apart. */
    secretPrefix: text('secret_prefix').notNull(),
    previousSecretEnc: text('previous_secret_enc'),
    previousSecretExpiresAt: integer('previous_secret_expires_at'),
    filters: text('filters', { mode: 'json' }).$type<WebhookFilters>().notNull(),
    /** A `host` channel's targets (null for the URL kinds). */
    hosts: text('hosts', { enum: hostTargets }),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    /** Why the platform disabled it (e.g. the receiver answered 410 Gone). */
    disabledReason: text('disabled_reason'),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('webhooks_org_idx').on(t.orgId)],
);

export const deliveryStates = ['pending', 'delivered', 'failed', 'dead'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

/**
 * One message to one channel. Its id is the `webhook-id` header, the same on every attempt
 * and on a redelivery, so receivers can drop duplicates. The body is kept so every attempt
 * sends the same bytes.
 */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    incidentId: text('incident_id').references(() => incidents.id, { onDelete: 'set null' }),
    /** e.g. `alert.firing`, `alert.resolved`, `webhook.test`. */
    eventType: text('event_type').notNull(),
    repeat: integer('repeat', { mode: 'boolean' }).notNull().default(false),
    body: text('body').notNull(),
    state: text('state', { enum: deliveryStates }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    lastAttemptAt: integer('last_attempt_at'),
    nextAttemptAt: integer('next_attempt_at'),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    index('deliveries_webhook_idx').on(t.webhookId, t.createdAt),
    index('deliveries_org_idx').on(t.orgId, t.createdAt),
  ],
);

/** Each attempt of a delivery: when, what came back, how long it took. */
export const deliveryAttempts = sqliteTable(
  'delivery_attempts',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    at: integer('at').notNull(),
    /** HTTP status; null when no answer came (timeout, refused, SSRF guard). */
    status: integer('status'),
    latencyMs: integer('latency_ms'),
    error: text('error'),
    /** At most 1 KB of the answer's body. */
    responseExcerpt: text('response_excerpt'),
  },
  (t) => [uniqueIndex('delivery_attempts_uq').on(t.deliveryId, t.attempt)],
);

/**
 * One incident transition for one device's agent, from a `host` channel (a row for each device
 * the channel targets). `seq` orders them over the platform: the agent keeps the highest it
 * delivered, so a notice never shows twice. One row per (transition, device) however many host
 * channels pass it (`dedupKey`), and a queue's redelivery of `alert.notify` adds nothing. The cron deletes rows past HOST_NOTICE_DAYS.
 */
export const hostNotices = sqliteTable(
  'host_notices',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    orgId: text('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    incidentId: text('incident_id').references(() => incidents.id, { onDelete: 'set null' }),
    dedupKey: text('dedup_key').notNull(),
    /** The notice as agents receive it, without its id (the `seq`). */
    notice: text('notice', { mode: 'json' }).$type<Omit<HostNotice, 'id'>>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('host_notices_dedup_idx').on(t.dedupKey),
    index('host_notices_device_idx').on(t.deviceId, t.seq),
    index('host_notices_created_idx').on(t.createdAt),
  ],
);
