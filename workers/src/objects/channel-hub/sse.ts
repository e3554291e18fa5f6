import { ApiError } from '../../errors.ts';
import { STREAM_LIMITS, type GapFrame } from '../../../../schema/wire/stream.ts';
import { validatePattern } from '../../services/streams/subject-match.ts';
import { newConn, replayRing, type Conn } from './conn.ts';
import type { HubView } from './messages.ts';
import type { HubCounters } from './socket.ts';
import { errorFrame } from './protocol.ts';
import { newSession } from './session.ts';
import type { StreamPrincipal } from '../../services/streams/principal.ts';

/** How often an SSE stream gets a `: ping` comment, unless a test shortens it. */
export const SSE_HEARTBEAT_MS = 15_000;

/** How long a revoked stream's final frame may wait for a reader before the stream is aborted. */
const REVOKE_DRAIN_MS = 10_000;

/** The subscription id SSE frames and gaps carry: an SSE stream has exactly one pattern. */
export const SSE_SUBSCRIPTION_ID = 'sse';

const encoder = new TextEncoder();

/**
 * Opens a Server-Sent Events stream for one pattern. There are no credits: the stream's
 * unread bytes are the queue, and past the hard cap the stream is closed (the client then
 * reconnects with Last-Event-ID). Returns the response, or a JSON error for a bad pattern.
 */
export function openSse(
  hub: HubView,
  orgId: string,
  principal: StreamPrincipal,
  subject: string,
  lastEventId: string | null,
  counters: HubCounters,
  heartbeatMs: number,
  conns: Set<Conn>,
): Response {
  const check = validatePattern(subject, orgId);
  if (!check.ok) {
    // The route checks first; this backstop answers as it does: 403 outside the org, else 400.
    const status = check.code === 'forbidden_subject' ? 403 : 400;
    return new ApiError(status, check.code, check.message, { field: 'subject' }).response();
  }
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  let unread = 0;
  const timer = setInterval(() => write(': ping\n\n'), heartbeatMs);
  const session = newSession(orgId, principal);
  session.subs.set(SSE_SUBSCRIPTION_ID, check.pattern);
  const end = () => {
    conn.closed = true;
    conns.delete(conn);
    clearInterval(timer);
    // Abort, not close: a reader that stopped reading would keep a close pending forever.
    writer.abort().catch(() => undefined);
  };
  // Access withdrawn: a last `event: error` says why, then the stream ends (not aborts), so the
  // reader sees that frame; a reader that stopped reading is aborted after a while.
  const revoke = (reason: string) => {
    if (conn.closed) return;
    write(`event: error\ndata: ${errorFrame('unauthorised', reason)}\n\n`);
    conn.closed = true;
    conns.delete(conn);
    clearInterval(timer);
    const drain = setTimeout(() => writer.abort().catch(() => undefined), REVOKE_DRAIN_MS);
    writer.close().then(
      () => clearTimeout(drain),
      () => clearTimeout(drain),
    );
  };
  const write = (text: string) => {
    if (conn.closed) return;
    const bytes = encoder.encode(text);
    if (unread + bytes.length > STREAM_LIMITS.hardQueueBytes) {
      counters.slowConsumerCloses += 1;
      end();
      return;
    }
    unread += bytes.length;
    if (unread > counters.maxQueuedBytes) counters.maxQueuedBytes = unread;
    writer.write(bytes).then(
      () => (unread -= bytes.length),
      () => end(),
    );
  };
  const conn: Conn = newConn(
    session,
    hub.epoch,
    counters,
    (f, text) => write(`id: ${hub.epoch}:${f.seq}\nevent: ${f.type}\ndata: ${text}\n\n`),
    {
      control: (text) => write(`event: ${(JSON.parse(text) as { type: string }).type}\ndata: ${text}\n\n`),
      overflow: () => end(),
      revoke,
    },
  );
  // SSE has no credits: TCP backpressure and the unread-bytes cap above are the flow control.
  conn.outbox.credits = Number.POSITIVE_INFINITY;
  conns.add(conn);
  write('retry: 2000\n\n');
  if (lastEventId !== null) {
    const gap = resumeSse(hub, conn, lastEventId);
    if (gap) conn.control(JSON.stringify(gap));
  }
  return new Response(readable, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function resumeSse(hub: HubView, conn: Conn, lastEventId: string): GapFrame | null {
  const m = /^([^:]{1,64}):(\d{1,16})$/.exec(lastEventId.trim());
  const base = { type: 'gap', id: SSE_SUBSCRIPTION_ID, epoch: hub.epoch } as const;
  if (!m) return { ...base, reason: 'out_of_window' };
  const seq = Number(m[2]);
  if (m[1] !== hub.epoch) return { ...base, fromSeq: seq + 1, reason: 'epoch_changed' };
  if (seq > hub.seq) return { ...base, fromSeq: seq + 1, reason: 'out_of_window' };
  return replayRing(conn, SSE_SUBSCRIPTION_ID, hub.ring, seq);
}
