import { fullJitterBackoff } from './backoff.ts';
import { creditWindow, type CreditWindow } from './credits.ts';
import type { ClientFrame, ErrorFrame, GapFrame, ServerFrame, SubscriptionId } from './protocol.ts';
import type { StateInfo, StreamClient, StreamClientOptions, StreamState } from './options.ts';
import { CLOSE } from './protocol.ts';
import { resumeTracker } from './resume.ts';
import { confirmations } from './confirmations.ts';
import { globalWebSocket, onOnline, OPEN, type WebSocketConstructor, type WebSocketLike } from './socket.ts';

/** Opens a stream client and starts connecting on the next microtask. */
export function createStreamClient(opts: StreamClientOptions): StreamClient {
  const found = opts.WebSocket ?? globalWebSocket();
  if (!found) throw new Error('no WebSocket implementation: pass options.WebSocket');
  const WS: WebSocketConstructor = found;
  const retry = fullJitterBackoff(opts.backoff ?? { baseMs: 1000, maxMs: 30_000 });
  const tracker = resumeTracker(opts.resumeFrom);
  const wanted = new Map<SubscriptionId, Omit<Extract<ClientFrame, { type: 'subscribe' }>, 'type'>>();
  const pingEvery = opts.pingEveryMs ?? 25_000;
  const pongWithin = opts.pongWithinMs ?? 10_000;
  let state: StreamState = 'connecting';
  let ws: WebSocketLike | null = null;
  let credits: CreditWindow = creditWindow(opts.window ?? 64);
  let welcomed = false;
  let everWelcomed = false;
  let closed = false;
  let gen = 0;
  let gapped = new Set<SubscriptionId>();
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let lastHeard = 0;
  const counts = { frames: 0, duplicates: 0, connections: 0 };
  const pending = confirmations();

  const setState = (next: StreamState, info: StateInfo = {}) => {
    state = next;
    opts.onState?.(next, info);
  };
  const send = (frame: ClientFrame) => {
    if (ws?.readyState === OPEN) ws.send(JSON.stringify(frame));
  };
  const stopTimers = () => {
    clearTimeout(retryTimer);
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    retryTimer = undefined;
  };

  function connect(): void {
    stopTimers();
    setState(everWelcomed ? 'reconnecting' : 'connecting');
    const my = ++gen;
    counts.connections += 1;
    welcomed = false;
    gapped = new Set();
    // A fresh connection starts from zero credits: the hello grants the whole window again.
    credits = creditWindow(credits.initial);
    const socket = opts.headers ? new WS(opts.url, { headers: opts.headers }) : new WS(opts.url);
    ws = socket;
    socket.addEventListener('open', () => {
      lastHeard = Date.now();
      send({ type: 'hello', v: 1, credits: credits.initial, ...(tracker.point() && { resume: tracker.point() }) });
      pingTimer = setInterval(() => {
        const sentAt = Date.now();
        send({ type: 'ping' });
        clearTimeout(pongTimer);
        // Any frame proves the connection alive, not only the pong.
        pongTimer = setTimeout(() => lastHeard < sentAt && socket.close(4000, 'no pong'), pongWithin);
      }, pingEvery);
    });
    socket.addEventListener('message', (ev: { data: unknown }) => {
      if (my !== gen) return;
      lastHeard = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      onFrame(frame, my);
    });
    // 'error' is always followed by 'close', which is where reconnecting happens.
    socket.addEventListener('close', (ev: { code: number; reason: string }) => {
      if (my !== gen) return;
      stopTimers();
      ws = null;
      welcomed = false;
      if (closed) return;
      if (ev.code === CLOSE.unauthorised) {
        closed = true;
        pending.dropAll(`the server closed the stream (${ev.code})`);
        undoOnline();
        setState('closed', { code: ev.code, reason: ev.reason, unauthorised: true });
        return;
      }
      const delay = retry.next();
      setState('reconnecting', { retryInMs: delay, code: ev.code, reason: ev.reason });
      retryTimer = setTimeout(connect, delay);
    });
  }

  /** Returns the frame's credit once the handler is done with it, on the connection it came from. */
  function consume(my: number, result: void | Promise<void>): void {
    const done = () => {
      if (my !== gen) return;
      const n = credits.consumed();
      if (n > 0) send({ type: 'credit', n });
    };
    if (result && typeof result.then === 'function') result.then(done, done);
    else done();
  }

  /** A subscription the server refused is dropped, so a reconnect does not send it again. */
  function refuse(id: SubscriptionId, error: ErrorFrame): void {
    if (pending.refuse(id, error)) wanted.delete(id);
  }

  function surfaceGap(gap: GapFrame): void {
    if (gapped.has(gap.id)) return;
    gapped.add(gap.id);
    opts.onGap?.(gap);
  }

  function onFrame(frame: ServerFrame, my: number): void {
    switch (frame.type) {
      case 'welcome': {
        welcomed = true;
        const info = { reconnected: everWelcomed, resumed: frame.resumed === true };
        const missed = tracker.welcome(frame);
        everWelcomed = true;
        retry.reset();
        for (const [id, sub] of wanted) {
          send({ type: 'subscribe', ...sub, id });
          // `mode`/`from` apply once; after a reconnect the resume point covers what was missed.
          wanted.set(id, { id, subject: sub.subject });
        }
        setState('live');
        opts.onWelcome?.(frame, info);
        // A server that predates `resumed` sends no gaps of its own: every subscription may have missed frames.
        if (missed && typeof frame.resumed !== 'boolean')
          for (const id of wanted.keys()) surfaceGap({ type: 'gap', id, epoch: frame.epoch, reason: 'not_resumed' });
        return;
      }
      case 'data':
      case 'event': {
        credits.received();
        counts.frames += 1;
        // Replayed events share one seq, so they neither move the resume point nor count as duplicates.
        const replayed = frame.type === 'event' && frame.replay === true;
        if (!replayed && !tracker.accept(frame.epoch, frame.seq)) {
          counts.duplicates += 1;
          return consume(my, undefined);
        }
        return consume(my, frame.type === 'data' ? opts.onData?.(frame) : opts.onEvent?.(frame));
      }
      case 'subscribed':
        return pending.confirm(frame.id);
      case 'gap':
        return surfaceGap(frame);
      case 'error':
        if (frame.ref !== undefined) refuse(frame.ref, frame);
        return opts.onError?.(frame);
      default:
        return;
    }
  }

  // Back online after a network drop: skip the rest of the backoff wait.
  const undoOnline = onOnline(() => {
    if (retryTimer !== undefined && !closed) connect();
  });
  // Like EventSource, nothing is reported before the caller has the client in hand.
  queueMicrotask(() => {
    if (!closed) connect();
  });

  return {
    subscribe(id, subject, sub = {}) {
      if (closed) return pending.closed(id);
      if (wanted.has(id) && welcomed) send({ type: 'unsubscribe', id });
      const confirmed = pending.expect(id);
      // Later re-subscriptions resume by seq; replaying `from` again would duplicate.
      wanted.set(id, { id, subject });
      if (welcomed) send({ type: 'subscribe', id, subject, ...sub });
      else if (sub.mode || sub.from) wanted.set(id, { id, subject, ...sub });
      return confirmed;
    },
    unsubscribe(id) {
      pending.drop(id, 'unsubscribed before the server confirmed it');
      if (wanted.delete(id) && welcomed) send({ type: 'unsubscribe', id });
    },
    close() {
      if (closed) return;
      closed = true;
      pending.dropAll('the client was closed before the server confirmed it');
      undoOnline();
      stopTimers();
      gen += 1;
      ws?.close(1000, 'client closed');
      ws = null;
      setState('closed');
    },
    get state() {
      return state;
    },
    get position() {
      return tracker.point();
    },
    stats: () => ({ ...counts, outstanding: credits.outstanding, overruns: credits.overruns }),
  };
}
