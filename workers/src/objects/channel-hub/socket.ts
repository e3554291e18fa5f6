import { STREAM_CLOSE, type GapFrame } from '../../../../schema/wire/stream.ts';
import { newConn, refill, type Conn } from './conn.ts';
import type { OutboxCounters } from './outbox.ts';
import { frame } from './protocol.ts';
import type { Ring } from './ring.ts';
import { loadSession, newSession, saveSession, type Session } from './session.ts';

/** Hub-wide counters shared by every connection. */
export type HubCounters = OutboxCounters & { slowConsumerCloses: number };

/** Wraps a hibernatable WebSocket as a connection: frames go out as text, overflow closes with 4008. */
export function socketConn(ws: WebSocket, session: Session, epoch: string, counters: HubCounters): Conn {
  const send = (text: string) => {
    try {
      ws.send(text);
    } catch {
      // Closing sockets throw; their close handler cleans up.
    }
  };
  return newConn(session, epoch, counters, (_f, text) => send(text), {
    control: send,
    overflow: () => {
      counters.slowConsumerCloses += 1;
      try {
        ws.close(STREAM_CLOSE.slowConsumer, 'slow consumer: queue passed its cap; reconnect and resume');
      } catch {
        // Already closing.
      }
    },
    revoke: (reason) => {
      try {
        ws.close(STREAM_CLOSE.unauthorised, reason);
      } catch {
        // Already closing.
      }
    },
  });
}

/**
 * Rebuilds a connection from its socket's attachment after the hub lost its memory. Frames
 * that waited for credits were in that memory: they are rebuilt from the ring, or each
 * subscription gets a gap when the ring no longer reaches back.
 */
export function restoreConn(ws: WebSocket, ring: Ring, epoch: string, counters: HubCounters): Conn | null {
  const session = loadSession(ws);
  if (!session) return null;
  const conn = socketConn(ws, session, epoch, counters);
  if (session.behind && !refill(conn, ring)) {
    for (const id of session.subs.keys()) {
      const gap: GapFrame = { type: 'gap', id, epoch, fromSeq: session.lastSeq + 1, reason: 'out_of_window' };
      conn.control(frame(gap));
    }
  }
  return conn;
}

/** True when the outbox moved on from what the attachment holds. */
export const needsSave = ({ outbox, session }: Conn): boolean =>
  outbox.credits !== session.credits || outbox.lastSeq !== session.lastSeq || outbox.pending !== session.behind;

/** Copies credits, the resume point and whether frames wait into the socket's attachment. */
export function saveConn(ws: WebSocket, conn: Conn): void {
  conn.session.credits = conn.outbox.credits;
  conn.session.lastSeq = conn.outbox.lastSeq;
  conn.session.behind = conn.outbox.pending;
  try {
    saveSession(ws, conn.session);
  } catch {
    // A socket that is already closing takes no attachment.
  }
}

/**
 * Closes the socket of a principal whose access was withdrawn with 4401, and marks its
 * connection closed so fan-out skips it until the runtime reports the close. False when it
 * was already revoked.
 */
export function revokeSocket(
  ws: WebSocket,
  conns: WeakMap<WebSocket, Conn>,
  epoch: string,
  counters: HubCounters,
  reason: string,
): boolean {
  let conn = conns.get(ws);
  if (conn?.closed) return false;
  // A hibernated socket gets state again only to carry the mark; nothing is refilled for it.
  conn ??= socketConn(ws, loadSession(ws) ?? newSession('', null), epoch, counters);
  conns.set(ws, conn);
  conn.closed = true;
  conn.revoke(reason);
  return true;
}
