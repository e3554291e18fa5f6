import { and, eq, isNull, sql as dsql } from 'drizzle-orm';
import { db, schema } from '../../db.ts';
import { alertEventData, eventTypeOf, incidentUpsert } from '../../services/alerts/incident-record.ts';
import { queueNotify } from '../../services/alerts/queue.ts';
import { recordEvent } from '../../services/events/record.ts';
import { log } from '../../services/log.ts';
import { deviceEventSubject } from '../../services/streams/subjects.ts';
import {
  countOutboxAttempt,
  outboxHead,
  removeFromOutbox,
  setOutboxStage,
  type OutboxRow,
  type RepeatItem,
  type TransitionItem,
} from './alert-store.ts';

/** An item that failed this often is dropped (and logged), so one poison item cannot hold back the rest forever. */
const MAX_ATTEMPTS = 50;
/** Retry delay after a failure: doubles per attempt of the oldest item, up to the cap. */
const RETRY_BASE_MS = 2_000;
const RETRY_CAP_MS = 5 * 60_000;

export const retryDelay = (attempts: number) => Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_CAP_MS);

const inc = schema.incidents;

/**
 * Works off the alert outbox in order: each transition's incident row and event go to D1 in one
 * batch (then the event to the org's stream, by `recordEvent`), then its notification to the
 * queue. The stage of each item is kept, so a retry redoes only what failed; the event id is
 * fixed, so a redone D1 batch stays idempotent. Stops at the first failure, leaving the rest for
 * the alarm. Never throws.
 */
export async function deliverAlerts(env: Env, sql: SqlStorage, device: { siteId: string | null }): Promise<void> {
  for (;;) {
    const rows = outboxHead(sql, 50);
    if (rows.length === 0) return;
    for (const row of rows) {
      try {
        await deliverOne(env, sql, device, row);
      } catch (err) {
        countOutboxAttempt(sql, row.seq);
        if (row.attempts + 1 >= MAX_ATTEMPTS) {
          log.error('alert transition dropped after repeated failures', { item: row.item, error: String(err) });
          removeFromOutbox(sql, row.seq);
          continue;
        }
        log.warn('alert transition not delivered yet', { type: row.item.type, error: String(err) });
        return;
      }
      removeFromOutbox(sql, row.seq);
    }
  }
}

async function deliverOne(env: Env, sql: SqlStorage, device: { siteId: string | null }, row: OutboxRow): Promise<void> {
  if (row.item.type === 'repeat') return deliverRepeat(env, sql, row.seq, row.stage, row.item);
  return deliverTransition(env, sql, device, row.seq, row.stage, row.item);
}

async function deliverTransition(
  env: Env,
  sql: SqlStorage,
  device: { siteId: string | null },
  seq: number,
  stage: number,
  item: TransitionItem,
): Promise<void> {
  const s = item.incident;
  if (stage === 0) {
    const d = db(env.DB);
    if (item.onlyIfOpen) {
      const row = await d.select({ state: inc.state }).from(inc).where(eq(inc.id, s.id)).get();
      if (!row || row.state === 'resolved') return;
    }
    await recordEvent(
      env,
      {
        id: item.eventId,
        orgId: s.orgId,
        type: eventTypeOf(item.transition),
        subject: deviceEventSubject(s.orgId, s.siteId ?? device.siteId, s.deviceId, eventTypeOf(item.transition)),
        correlationId: s.id,
        data: alertEventData(s, item.transition, { neverFired: item.neverFired, reason: item.reason }),
        ts: s.at,
      },
      () => [incidentUpsert(d, s, item.notify !== null)],
    );
    setOutboxStage(sql, seq, 1);
  }
  if (item.notify) {
    await queueNotify(env, { orgId: s.orgId, incidentId: s.id, transition: item.notify, repeat: false, at: s.at });
  }
}

async function deliverRepeat(env: Env, sql: SqlStorage, seq: number, stage: number, item: RepeatItem): Promise<void> {
  if (stage === 0) {
    // Acknowledged (by the incidents API) or resolved meanwhile: no repeat. Counted only when it goes out.
    const updated = await db(env.DB)
      .update(inc)
      .set({ notifications: dsql`${inc.notifications} + 1`, lastNotifiedAt: item.at })
      .where(
        and(
          eq(inc.id, item.incidentId),
          eq(inc.orgId, item.orgId),
          eq(inc.state, 'firing'),
          isNull(inc.acknowledgedAt),
        ),
      )
      .returning({ id: inc.id });
    if (updated.length === 0) return;
    setOutboxStage(sql, seq, 1);
  }
  await queueNotify(env, {
    orgId: item.orgId,
    incidentId: item.incidentId,
    transition: 'firing',
    repeat: true,
    at: item.at,
  });
}
