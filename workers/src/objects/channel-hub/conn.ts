import type {
  EventFrame,
  GapFrame,
  StreamEvent,
  StreamSample,
  SubscriptionId,
} from '../../../../schema/wire/stream.ts';
import { matches } from '../../services/streams/subject-match.ts';
import { Outbox, type OutboxCounters, type OutFrame } from './outbox.ts';
import type { Ring } from './ring.ts';
import { newlyMatched, selectSamples, subscribedTo, type Session } from './session.ts';

/** Live events buffered for a `replay-then-live` subscription while its history is read. */
export interface EventReplay {
  buffer: EventFrame[];
  /** Ids delivered to this connection through other subscriptions meanwhile. */
  seen: Set<string>;
}

/** A connection (WebSocket or SSE) as the hub fans out to it. */
export interface Conn {
  session: Session;
  outbox: Outbox;
  replays: Map<SubscriptionId, EventReplay>;
  /** Event ids replayed from the log, with when to forget them: a late live publish is then not repeated. */
  replayed: Map<string, number>;
  closed: boolean;
  /** Sends a control frame; control frames need no credits. */
  control(text: string): void;
  /** Closes with 4008 after the queue passed the hard cap. */
  overflow(): void;
  /** Ends the connection because its principal's access was withdrawn (WebSocket 4401, SSE end). */
  revoke(reason: string): void;
}

/** Builds the connection state around a session; `send` writes one data or event frame. */
export function newConn(
  session: Session,
  epoch: string,
  counters: OutboxCounters,
  send: (f: OutFrame, text: string) => void,
  io: Pick<Conn, 'control' | 'overflow' | 'revoke'>,
): Conn {
  const outbox = new Outbox(epoch, send, counters);
  outbox.credits = session.credits;
  outbox.lastSeq = session.lastSeq;
  return { session, outbox, replays: new Map(), replayed: new Map(), closed: false, ...io };
}

/** Queues a frame; closes the connection as a slow consumer when it does not fit. */
export function offer(conn: Conn, frame: OutFrame, text?: string): void {
  if (conn.closed) return;
  if (!conn.outbox.offer(frame, text)) {
    conn.closed = true;
    conn.overflow();
  }
}

/** Offers the samples of one publish that the connection subscribed to. */
export function deliverData(conn: Conn, seq: number, samples: StreamSample[], shared: () => string): void {
  const picked = selectSamples(conn.session, samples);
  if (picked.length === 0) return;
  const epoch = conn.outbox.epoch;
  // The common case (a dashboard on `org.<org>.**`) shares one serialised frame.
  if (picked.length === samples.length) offer(conn, { type: 'data', seq, epoch, samples }, shared());
  else offer(conn, { type: 'data', seq, epoch, samples: picked });
}

/** Offers an event, or buffers it for subscriptions still replaying history. */
export function deliverEvent(conn: Conn, frame: EventFrame, text: string, now: number): void {
  const { event } = frame;
  const until = conn.replayed.get(event.id);
  if (until !== undefined) {
    conn.replayed.delete(event.id);
    if (until > now) return;
  }
  if (liveMatch(conn, event)) {
    for (const r of conn.replays.values()) r.seen.add(event.id);
    offer(conn, frame, text);
    return;
  }
  for (const [id, r] of conn.replays) {
    if (matches(conn.session.subs.get(id)!, event.subject)) {
      r.buffer.push(frame);
      return;
    }
  }
}

function liveMatch(conn: Conn, event: StreamEvent): boolean {
  if (conn.replays.size === 0) return subscribedTo(conn.session, event.subject);
  for (const [id, p] of conn.session.subs) if (!conn.replays.has(id) && matches(p, event.subject)) return true;
  return false;
}

/**
 * Queues what subscription `id` missed since `after`, out of the ring, skipping what older
 * subscriptions of the connection already delivered. Returns a gap when the ring no longer
 * covers `after`.
 */
export function replayRing(conn: Conn, id: SubscriptionId, ring: Ring, after: number): GapFrame | null {
  const epoch = conn.outbox.epoch;
  if (!ring.covers(after)) return { type: 'gap', id, epoch, fromSeq: after + 1, reason: 'out_of_window' };
  for (const entry of ring.after(after)) {
    if (conn.closed) break;
    if (entry.kind === 'event') {
      if (newlyMatched(conn.session, id, entry.event.subject))
        offer(conn, { type: 'event', seq: entry.seq, epoch, event: entry.event });
      continue;
    }
    const samples = entry.samples.filter((s) => newlyMatched(conn.session, id, s.subject));
    if (samples.length > 0) offer(conn, { type: 'data', seq: entry.seq, epoch, samples });
  }
  return null;
}

/**
 * Tells each subscription of a connection that frames may be missing from `fromSeq` on (a relay
 * lost frames of a shard); a control frame, so it needs no credits.
 */
export function announceGap(conn: Conn, fromSeq: number): void {
  const epoch = conn.outbox.epoch;
  for (const id of conn.session.subs.keys()) {
    conn.control(JSON.stringify({ type: 'gap', id, epoch, fromSeq, reason: 'out_of_window' } satisfies GapFrame));
  }
}

/** Refills a connection whose queue was lost with the hub's memory, from the ring. */
export function refill(conn: Conn, ring: Ring): boolean {
  const after = conn.outbox.lastSeq;
  if (!ring.covers(after)) return false;
  const epoch = conn.outbox.epoch;
  for (const entry of ring.after(after)) {
    if (conn.closed) break;
    if (entry.kind === 'event') {
      if (subscribedTo(conn.session, entry.event.subject))
        offer(conn, { type: 'event', seq: entry.seq, epoch, event: entry.event });
      continue;
    }
    const samples = selectSamples(conn.session, entry.samples);
    if (samples.length > 0) offer(conn, { type: 'data', seq: entry.seq, epoch, samples });
  }
  return true;
}
