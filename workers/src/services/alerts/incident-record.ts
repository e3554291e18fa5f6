import { sql } from 'drizzle-orm';
import type { AlertCondition, AlertSeverity, IncidentView } from '../../../../schema/wire/alerts.ts';
import { schema, type Db } from '../../db.ts';
import type { TransitionKind } from './engine/types.ts';

/** An incident row as of one transition: everything the DeviceHub knows of the episode. */
export type IncidentSnapshot = Omit<IncidentView, 'ruleId' | 'acknowledged' | 'silenced'> & {
  orgId: string;
  ruleId: string;
  /** When this transition happened. */
  at: number;
};

const inc = schema.incidents;

/**
 * Writes the incident as of a transition: inserted on its first one, updated after. A resolved
 * incident is never reopened (the rule's delete may have resolved it while a transition was
 * still on its way from the DeviceHub). `notified` counts a queued notification.
 */
export function incidentUpsert(d: Db, s: IncidentSnapshot, notified: boolean) {
  const changes = {
    state: s.state,
    severity: s.severity,
    peakSeverity: s.peakSeverity,
    value: s.value,
    threshold: s.threshold,
    summary: s.summary,
    firedAt: s.firedAt,
    resolvedAt: s.resolvedAt,
    updatedAt: s.at,
  };
  return d
    .insert(inc)
    .values({
      ...changes,
      id: s.id,
      orgId: s.orgId,
      // The rule may be gone by the time this arrives: then the incident keeps only its name.
      ruleId: sql`(SELECT ${schema.alertRules.id} FROM ${schema.alertRules} WHERE ${schema.alertRules.id} = ${s.ruleId})`,
      ruleName: s.ruleName,
      deviceId: s.deviceId,
      siteId: s.siteId,
      tags: s.tags,
      seriesId: s.seriesId,
      metric: s.metric,
      labels: s.labels,
      startedAt: s.startedAt,
      notifications: notified ? 1 : 0,
      lastNotifiedAt: notified ? s.at : null,
    })
    .onConflictDoUpdate({
      target: inc.id,
      set: {
        ...changes,
        ...(notified ? { notifications: sql`${inc.notifications} + 1`, lastNotifiedAt: s.at } : {}),
      },
      setWhere: sql`${inc.state} <> 'resolved'`,
    });
}

/** Event type of a transition: escalations are `alert.firing` events (the incident still fires). */
export const eventTypeOf = (kind: TransitionKind): 'alert.pending' | 'alert.firing' | 'alert.resolved' =>
  kind === 'pending' ? 'alert.pending' : kind === 'resolved' ? 'alert.resolved' : 'alert.firing';

/** The `data` of an alert event. */
export function alertEventData(
  s: IncidentSnapshot,
  transition: TransitionKind,
  extra: { neverFired?: boolean; reason?: string } = {},
): Record<string, unknown> {
  return {
    incidentId: s.id,
    ruleId: s.ruleId,
    ruleName: s.ruleName,
    deviceId: s.deviceId,
    seriesId: s.seriesId,
    metric: s.metric,
    labels: s.labels,
    state: s.state,
    transition,
    severity: s.severity,
    value: s.value,
    threshold: s.threshold,
    summary: s.summary,
    ...(extra.neverFired ? { neverFired: true } : {}),
    ...(extra.reason ? { reason: extra.reason } : {}),
  };
}

const fmt = (v: number) => String(Math.round(v * 1000) / 1000);
const seconds = (ms: number) => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)} s`;

/** One line for people, e.g. `Disk almost full: disk_used_percent{mount="/"} is 93.2 (> 90, critical)`. */
export function summarize(
  ruleName: string,
  condition: AlertCondition,
  series: { metric: string | null; labels: Record<string, string> },
  severity: AlertSeverity,
  value: number | null,
  afterMs: number | null,
): string {
  const labels = Object.entries(series.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const name = `${series.metric ?? ''}{${labels}}`;
  switch (condition.kind) {
    case 'offline':
      return `${ruleName}: no batch from the device for ${seconds(afterMs ?? 0)}`;
    case 'no_data':
      return `${ruleName}: no sample of ${name} for ${seconds(condition.afterMs)}`;
    case 'threshold':
    case 'rate': {
      const line = condition[severity]?.value;
      const what =
        condition.kind === 'rate'
          ? `changes by ${value === null ? '?' : fmt(value)}/s`
          : `is ${value === null ? '?' : fmt(value)}`;
      return `${ruleName}: ${name} ${what} (${condition.op} ${line ?? '?'}, ${severity})`;
    }
  }
}
