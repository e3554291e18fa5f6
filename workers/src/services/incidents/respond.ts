import { and, eq, isNotNull, isNull, ne } from 'drizzle-orm';
import type { Context } from 'hono';
import type { AlertTransition, IncidentView } from '../../../../schema/wire/alerts.ts';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError } from '../../errors.ts';
import { queueNotify } from '../alerts/queue.ts';
import { auditInsert } from '../audit/record.ts';
import { recordEvent } from '../events/record.ts';
import { log } from '../log.ts';
import { changedGuard, failedGuard } from '../members/guard.ts';
import { deviceEventSubject } from '../streams/subjects.ts';
import { getIncident, incidentNotFound, incidentRow } from './queries.ts';
import type { IncidentRow } from './views.ts';

/** Acknowledging or un-acknowledging a resolved incident: it is history. */
export const incidentResolved = (id: string) =>
  new ApiError(409, 'incident_resolved', `incident "${id}" is resolved; only open incidents can be (un)acknowledged`);

/** The incident kept changing under the request (the evaluation engine and other people at once). */
export const incidentBusy = (id: string) =>
  new ApiError(409, 'incident_changed', `incident "${id}" changed while it was being updated; try again`);

/** Attempts before giving up on an incident that keeps changing between the read and the write. */
const ATTEMPTS = 3;

type Change = Extract<AlertTransition, 'acknowledged' | 'unacknowledged'>;

/**
 * Acknowledges (with `note`) or un-acknowledges an open incident for the caller. The incident
 * update, its event (`alert.acknowledged` / `alert.unacknowledged`, published on the org's
 * stream) and the audit row commit in one D1 batch, guarded so that a concurrent change (another
 * person, or the engine resolving it) fails the batch and the request looks again. Asking for
 * the state it is already in changes nothing and answers it. Channels hear of it through
 * ALERTS_QUEUE, for incidents that fired (they never heard of one still pending).
 */
export async function respond(c: Context<AppEnv>, id: string, change: Change, note?: string): Promise<IncidentView> {
  const { orgId } = c.var.caller;
  const d = db(c.env.DB);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const row = await incidentRow(d, orgId, id);
    if (!row) throw incidentNotFound(id);
    if (row.state === 'resolved') throw incidentResolved(id);
    if ((row.acknowledgedAt !== null) === (change === 'acknowledged')) return getIncident(c.env.DB, orgId, id);
    const now = Date.now();
    try {
      await write(c, row, change, note ?? null, now);
    } catch (err) {
      if (failedGuard(err)) continue;
      throw err;
    }
    if (row.firedAt !== null)
      await notify(c.env, { orgId, incidentId: id, transition: change, repeat: false, at: now });
    return getIncident(c.env.DB, orgId, id, now);
  }
  throw incidentBusy(id);
}

async function write(c: Context<AppEnv>, row: IncidentRow, change: Change, note: string | null, now: number) {
  const { orgId, via, userId } = c.var.caller;
  const i = schema.incidents;
  const d = db(c.env.DB);
  const ack = change === 'acknowledged';
  // Only a signed-in person has an identity to show; for an API key the audit row names the key.
  const by = via === 'session' ? userId : null;
  const after = ack
    ? { acknowledgedAt: now, acknowledgedBy: by, ackNote: note }
    : { acknowledgedAt: null, acknowledgedBy: null, ackNote: null };
  const before = { acknowledgedAt: row.acknowledgedAt, acknowledgedBy: row.acknowledgedBy, ackNote: row.ackNote };
  const type = `alert.${change}`;
  await recordEvent(
    c.env,
    {
      orgId,
      type,
      subject: deviceEventSubject(orgId, row.siteId, row.deviceId, type),
      correlationId: c.var.requestId,
      ts: now,
      data: {
        incidentId: row.id,
        ruleId: row.ruleId,
        ruleName: row.ruleName,
        deviceId: row.deviceId,
        seriesId: row.seriesId,
        metric: row.metric,
        labels: row.labels,
        severity: row.severity,
        by,
        ...(ack ? { note } : {}),
      },
    },
    () => [
      d
        .update(i)
        .set({ ...after, updatedAt: now })
        .where(
          and(
            eq(i.id, row.id),
            eq(i.orgId, orgId),
            ne(i.state, 'resolved'),
            ack ? isNull(i.acknowledgedAt) : isNotNull(i.acknowledgedAt),
          ),
        ),
      // Rolls the event and the audit row back with it when the incident changed since the read.
      changedGuard(d, orgId),
      auditInsert(c, { targetType: 'incident', targetId: row.id, before, after }),
    ],
  );
}

/** The change is stored and recorded; a queue that refuses the message must not turn it into an error. */
async function notify(env: Env, message: Parameters<typeof queueNotify>[1]): Promise<void> {
  try {
    await queueNotify(env, message);
  } catch (err) {
    log.error('incident notification not queued', { incidentId: message.incidentId, error: String(err) });
  }
}
