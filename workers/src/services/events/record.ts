import type { StreamEvent } from '../../../../schema/wire/stream.ts';
import { db, schema } from '../../db.ts';
import type { Alongside } from '../audit/record.ts';
import { newId } from '../credentials/crypto.ts';
import { log } from '../log.ts';
import { eventHubFor } from '../streams/routing.ts';
import { orgEventSubject } from '../streams/subjects.ts';

export interface NewEvent {
  orgId: string;
  type: string;
  subject: string;
  /** The request's X-Request-Id, or the agent's batch id. */
  correlationId: string | null;
  data: Record<string, unknown>;
  ts?: number;
  /** A fixed id makes a retried record idempotent (the DeviceHub's outbox); new by default. */
  id?: string;
}

/**
 * Appends an event to the log in D1, then publishes it to the org's channel (its device's publish
 * shard, so it keeps its order with the device's samples). Persisted first:
 * a subscriber never sees an event that a later query would not return. `alongside` (the
 * request's audit row, given the stored event) commits in the same D1 batch as the event.
 */
export async function recordEvent(
  env: Env,
  e: NewEvent,
  alongside: (event: StreamEvent) => Alongside = () => [],
): Promise<StreamEvent> {
  const event: StreamEvent = {
    id: e.id ?? newId('evt'),
    type: e.type,
    subject: e.subject,
    ts: e.ts ?? Date.now(),
    correlationId: e.correlationId,
    data: e.data,
  };
  const d = db(env.DB);
  await d.batch([
    d
      .insert(schema.events)
      .values({ ...event, orgId: e.orgId })
      .onConflictDoNothing({ target: schema.events.id }),
    ...alongside(event),
  ]);
  try {
    await eventHubFor(env, e.orgId, event.subject).publishEvent(event);
  } catch (err) {
    // The log is the record; live delivery is best effort.
    log.warn('event publish failed', { eventId: event.id, error: String(err) });
  }
  return event;
}

/** Types only the system records; `POST /v1/events` refuses them. */
export const RESERVED_EVENT_PREFIXES = ['device.', 'alert.', 'config.', 'agent.', 'user.', 'invitation.'] as const;

/**
 * Records a user action (`user.login`, `user.logout`) on the org's event subject. Never throws:
 * the action has already happened, and a lost audit row must not turn it into an error.
 */
export async function recordUserEvent(
  env: Env,
  type: 'user.login' | 'user.logout',
  orgId: string,
  userId: string,
  requestId: string | null,
): Promise<void> {
  try {
    await recordEvent(env, {
      orgId,
      type,
      subject: orgEventSubject(orgId, type),
      correlationId: requestId,
      data: { userId },
    });
  } catch (err) {
    log.error('user event not recorded', { type, orgId, userId, error: String(err) });
  }
}
