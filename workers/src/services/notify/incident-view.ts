import type { IncidentView } from '../../../../schema/wire/alerts.ts';
import type { schema } from '../../db.ts';

type IncidentRow = typeof schema.incidents.$inferSelect;

/** An incident row as the API and notifications show it. `silenced` is whether a silence covers it now. */
export function incidentView(r: IncidentRow, silenced: boolean): IncidentView {
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
    silenced,
  };
}
