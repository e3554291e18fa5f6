import { and, eq, ne } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { deviceEventSubject } from '../streams/subjects.ts';
import { recordEvent } from '../events/record.ts';
import { log } from '../log.ts';
import { mapLimit } from '../map-limit.ts';
import { newId } from '../credentials/crypto.ts';
import { alertEventData, incidentUpsert, type IncidentSnapshot } from './incident-record.ts';
import { queueNotify } from './queue.ts';

const inc = schema.incidents;

/** Why the API ended a rule's incidents: it was deleted, disabled, or its definition changed. */
export type ResolveReason = 'rule_deleted' | 'rule_disabled' | 'rule_changed';

/**
 * Resolves a rule's open incidents from the API, before the rule is deleted or changed: each
 * gets its `alert.resolved` event (with `reason`, and `neverFired` for one still pending) and,
 * if it fired, a `resolved` notification. The DeviceHubs then drop their states without
 * writing again (they check D1 first). Returns how many were resolved.
 */
export async function resolveRuleIncidents(
  env: Env,
  orgId: string,
  ruleId: string,
  reason: ResolveReason,
): Promise<number> {
  const d = db(env.DB);
  const open = await d
    .select()
    .from(inc)
    .where(and(eq(inc.orgId, orgId), eq(inc.ruleId, ruleId), ne(inc.state, 'resolved')))
    .all();
  const now = Date.now();
  const resolved = await mapLimit(open, 4, async (row) => {
    const fired = row.firedAt !== null;
    const snapshot: IncidentSnapshot = {
      id: row.id,
      orgId,
      ruleId,
      ruleName: row.ruleName,
      deviceId: row.deviceId,
      siteId: row.siteId,
      tags: row.tags,
      seriesId: row.seriesId,
      metric: row.metric,
      labels: row.labels,
      state: 'resolved',
      severity: row.severity,
      peakSeverity: row.peakSeverity,
      value: row.value,
      threshold: row.threshold,
      summary: `Resolved: ${row.ruleName} (${reason.replaceAll('_', ' ')})`,
      startedAt: row.startedAt,
      firedAt: row.firedAt,
      resolvedAt: now,
      at: now,
    };
    try {
      await recordEvent(
        env,
        {
          id: newId('evt'),
          orgId,
          type: 'alert.resolved',
          subject: deviceEventSubject(orgId, row.siteId, row.deviceId, 'alert.resolved'),
          correlationId: row.id,
          data: alertEventData(snapshot, 'resolved', { neverFired: !fired, reason }),
          ts: now,
        },
        () => [incidentUpsert(d, snapshot, fired)],
      );
    } catch (err) {
      log.error('incident not resolved', { incidentId: row.id, error: String(err) });
      return false;
    }
    if (fired) {
      // The incident is resolved in D1 either way; a lost notification is logged, not retried from here.
      await queueNotify(env, { orgId, incidentId: row.id, transition: 'resolved', repeat: false, at: now }).catch(
        (err: unknown) => log.error('resolved notification not queued', { incidentId: row.id, error: String(err) }),
      );
    }
    return true;
  });
  return resolved.filter(Boolean).length;
}
