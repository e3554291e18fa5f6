import {
  STREAM_CLOSE,
  STREAM_LIMITS,
  STREAM_PROTOCOL_VERSION,
  type StreamClientMessage,
} from '../../../../schema/wire/stream.ts';
import { replayRing, type Conn } from './conn.ts';
import { errorFrame, frame } from './protocol.ts';
import { replayEvents } from './replay.ts';
import type { Ring } from './ring.ts';
import { addSubscription } from './session.ts';

/** What message handling needs of the hub. */
export interface HubView {
  epoch: string;
  /** The last seq issued. */
  seq: number;
  ring: Ring;
  db: D1Database;
}

/**
 * Acts on one well-formed client message. Returns true when the session changed and must
 * be saved into the socket's attachment, or a promise of that for a `replay-then-live`
 * subscription (awaited by the hub, which keeps it alive through the history query).
 */
export function handleMessage(
  hub: HubView,
  ws: WebSocket,
  conn: Conn,
  msg: StreamClientMessage,
): boolean | Promise<boolean> {
  const { session, outbox } = conn;
  switch (msg.type) {
    case 'hello': {
      if (msg.v !== STREAM_PROTOCOL_VERSION) {
        ws.send(errorFrame('unsupported_version', `this server speaks protocol v${STREAM_PROTOCOL_VERSION}`));
        ws.close(STREAM_CLOSE.protocolError, 'unsupported protocol version');
        return false;
      }
      const r = msg.resume;
      if (!r) session.resume = null;
      else if (r.epoch !== hub.epoch) session.resume = { gap: 'epoch_changed', fromSeq: r.seq + 1 };
      else if (r.seq > hub.seq || !hub.ring.covers(r.seq))
        session.resume = { gap: 'out_of_window', fromSeq: r.seq + 1 };
      else session.resume = { seq: r.seq };
      ws.send(
        frame({
          type: 'welcome',
          v: STREAM_PROTOCOL_VERSION,
          epoch: hub.epoch,
          seq: hub.seq,
          limits: STREAM_LIMITS,
          resumed: session.resume !== null && 'seq' in session.resume,
        }),
      );
      if (msg.credits !== undefined) outbox.grant(msg.credits);
      return true;
    }
    case 'subscribe': {
      const refusal = addSubscription(session, msg);
      if (refusal) {
        ws.send(frame(refusal));
        return false;
      }
      ws.send(frame({ type: 'subscribed', id: msg.id, subject: msg.subject }));
      if (msg.mode === 'replay-then-live' && msg.from) {
        return replayEvents(hub.db, conn, msg.id, msg.from.ts, hub.seq, Date.now).then(() => true);
      }
      const resume = session.resume;
      if (resume && 'seq' in resume) {
        const gap = replayRing(conn, msg.id, hub.ring, resume.seq);
        if (gap) ws.send(frame(gap));
      } else if (resume) {
        ws.send(frame({ type: 'gap', id: msg.id, epoch: hub.epoch, fromSeq: resume.fromSeq, reason: resume.gap }));
      }
      return true;
    }
    case 'unsubscribe':
      if (!session.subs.delete(msg.id)) {
        ws.send(errorFrame('unknown_subscription', 'no subscription has this id', msg.id));
        return false;
      }
      conn.replays.delete(msg.id);
      ws.send(frame({ type: 'unsubscribed', id: msg.id }));
      return true;
    case 'ping':
      ws.send(frame({ type: 'pong' }));
      return false;
    case 'credit':
      outbox.grant(msg.n);
      return true;
  }
}
