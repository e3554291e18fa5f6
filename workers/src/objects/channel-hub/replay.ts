import { STREAM_LIMITS, type GapFrame, type StreamEvent, type SubscriptionId } from '../../../../schema/wire/stream.ts';
import { matches } from '../../services/streams/subject-match.ts';
import { eventsSince } from '../../services/events/query.ts';
import { log } from '../../services/log.ts';
import { offer, type Conn, type EventReplay } from './conn.ts';

// Replayed ids are remembered this long: a publish that raced the history query is not repeated.
const REPLAYED_TTL_MS = 60_000;

/** The org's events from `fromTs` in log order; null when there are more than the replay bound. */
async function readEvents(db: D1Database, orgId: string, fromTs: number): Promise<StreamEvent[] | null> {
  const results = await eventsSince(db, orgId, fromTs, STREAM_LIMITS.maxReplayEvents + 1);
  return results.length > STREAM_LIMITS.maxReplayEvents ? null : results;
}

/**
 * Runs a `replay-then-live` subscription: live events for it are buffered (by
 * `deliverEvent`) while the log is read, then history goes out, then the buffer minus
 * anything the history already held. Every event published after the subscription was
 * registered is in the buffer, and every one persisted before the query is in the
 * history, so the seam has no gap; de-duplication by id removes the overlap.
 */
export async function replayEvents(
  db: D1Database,
  conn: Conn,
  id: SubscriptionId,
  fromTs: number,
  baseSeq: number,
  now: () => number,
): Promise<void> {
  for (const [eventId, forgetAt] of conn.replayed) if (forgetAt <= now()) conn.replayed.delete(eventId);
  const replay: EventReplay = { buffer: [], seen: new Set() };
  conn.replays.set(id, replay);
  let history: StreamEvent[] | null;
  let reason: GapFrame['reason'] = 'replay_too_large';
  try {
    history = await readEvents(db, conn.session.orgId, fromTs);
  } catch (err) {
    log.warn('event replay failed', { error: err instanceof Error ? err.message : String(err) });
    history = null;
    reason = 'replay_failed';
  }
  // Unsubscribed (or resubscribed) while the query ran: this replay is void.
  if (conn.replays.get(id) !== replay) return;
  conn.replays.delete(id);
  if (conn.closed) return;
  const epoch = conn.outbox.epoch;
  const pattern = conn.session.subs.get(id);
  const replayed = new Set<string>();
  if (history === null) {
    conn.control(JSON.stringify({ type: 'gap', id, epoch, reason } satisfies GapFrame));
  } else if (pattern) {
    const forgetAt = now() + REPLAYED_TTL_MS;
    for (const event of history) {
      if (!matches(pattern, event.subject) || replay.seen.has(event.id)) continue;
      replayed.add(event.id);
      conn.replayed.set(event.id, forgetAt);
      offer(conn, { type: 'event', seq: baseSeq, epoch, event, replay: true });
    }
  }
  for (const frame of replay.buffer) {
    if (replayed.has(frame.event.id)) {
      conn.replayed.delete(frame.event.id);
      continue;
    }
    offer(conn, frame);
  }
}
