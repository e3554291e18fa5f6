import type { IncidentView, SilenceView } from '../../../../schema/wire/alerts.ts';
import type { schema } from '../../db.ts';
import { isSilenced, type SilenceWindow } from '../alerts/silences.ts';

export type IncidentRow = typeof schema.incidents.$inferSelect;
export type SilenceRow = typeof schema.silences.$inferSelect;

/** An incident as the API answers it; `silenced` says whether one of `active` covers it at `now`. */
export function incidentView(r: IncidentRow, active: readonly SilenceWindow[], now: number): IncidentView {
  return {
    id: r.id,
    ruleId: r.ruleId,
    ruleName: r.ruleName,
    deviceId: r.deviceId,
    siteId: r.siteId,
    tags: r.tags,
    seriesId: r.seriesId,
    metric: r.metric,
    labels: r.labels,
    state: r.state,
    severity: r.severity,
    peakSeverity: r.peakSeverity,
    value: r.value,
    threshold: r.threshold,
    summary: r.summary,
    startedAt: r.startedAt,
    firedAt: r.firedAt,
    resolvedAt: r.resolvedAt,
    acknowledged: r.acknowledgedAt === null ? null : { at: r.acknowledgedAt, by: r.acknowledgedBy, note: r.ackNote },
    silenced: isSilenced(active, r, now),
  };
}

/** Where `now` falls in a silence's window. */
export function silenceState(s: Pick<SilenceRow, 'startsAt' | 'endsAt'>, now: number): SilenceView['state'] {
  if (now >= s.endsAt) return 'expired';
  return now < s.startsAt ? 'pending' : 'active';
}

export function silenceView(r: SilenceRow, now: number): SilenceView {
  return {
    id: r.id,
    matchers: r.matchers,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    comment: r.comment,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    state: silenceState(r, now),
  };
}
