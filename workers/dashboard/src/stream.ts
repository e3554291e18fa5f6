import type { StreamSample, StreamServerFrame, SubscriptionId, WelcomeFrame } from '../../../schema/wire/stream.ts';
import { backoff } from './backoff.ts';

/** What the "live" indicator shows. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamHandlers {
  onSamples(samples: StreamSample[]): void;
  /** `retryInMs` is set while waiting to reconnect. */
  onState(state: StreamState, retryInMs?: number): void;
  /** A (re)connection was welcomed. v1 cannot resume, so after a reconnect callers refetch what they missed. */
  onWelcome?(welcome: WelcomeFrame, reconnected: boolean): void;
  onServerError?(code: string, message: string): void;
  /** The server closed with 4401: the session is gone, so reconnecting is pointless. */
  onUnauthorised?(): void;
}

export interface StreamClient {
  /** Adds or replaces the subscription `id`; sent now if connected, else on the next connection. */
  subscribe(id: SubscriptionId, subject: string): void;
  unsubscribe(id: SubscriptionId): void;
  /** Closes for good (sign-out); no reconnect follows. */
  close(): void;
}

/** Heartbeat timing from docs/stream-protocol.md: ping about every 30 s, give up on a pong after 10 s. */
const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
const CLOSE_UNAUTHORISED = 4401;

/**
 * The dashboard's one WebSocket to `/v1/stream` (protocol v1, docs/stream-protocol.md).
 * Keeps the wanted subscriptions and restores them after reconnecting with jittered backoff.
 */
export function openStream(handlers: StreamHandlers, url = defaultUrl()): StreamClient {
  const wanted = new Map<SubscriptionId, string>();
  const retry = backoff({ baseMs: 1000, maxMs: 30_000 });
  let ws: WebSocket | null = null;
  let welcomed = false;
  let everWelcomed = false;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let lastHeard = 0;

  const send = (msg: object) => {
    if (ws?.readyState === WebSocket.OPEN && welcomed) ws.send(JSON.stringify(msg));
  };

  function connect(): void {
    retryTimer = undefined;
    handlers.onState(everWelcomed ? 'reconnecting' : 'connecting');
    const socket = new WebSocket(url);
    ws = socket;
    welcomed = false;
    socket.addEventListener('open', () => {
      lastHeard = Date.now();
      socket.send(JSON.stringify({ type: 'hello', v: 1 }));
      pingTimer = setInterval(() => {
        if (socket.readyState !== WebSocket.OPEN) return;
        const sentAt = Date.now();
        // Exactly this text, which the platform answers without waking the hub.
        socket.send('{"type":"ping"}');
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => {
          // Any frame proves the connection alive, not only the pong.
          if (lastHeard < sentAt) socket.close(4000, 'no pong from server');
        }, PONG_WITHIN_MS);
      }, PING_EVERY_MS);
    });
    socket.addEventListener('message', (ev) => {
      if (socket !== ws) return;
      lastHeard = Date.now();
      onFrame(ev.data);
    });
    // 'error' is always followed by 'close', which is where reconnecting happens.
    socket.addEventListener('close', (ev) => {
      if (socket !== ws) return;
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      ws = null;
      welcomed = false;
      if (closed) return;
      if (ev.code === CLOSE_UNAUTHORISED) {
        handlers.onState('closed');
        handlers.onUnauthorised?.();
        return;
      }
      const delay = retry.next();
      handlers.onState('reconnecting', delay);
      retryTimer = setTimeout(connect, delay);
    });
  }

  function onFrame(data: unknown): void {
    let frame: StreamServerFrame;
    try {
      frame = JSON.parse(String(data)) as StreamServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'welcome': {
        welcomed = true;
        const reconnected = everWelcomed;
        everWelcomed = true;
        retry.reset();
        for (const [id, subject] of wanted) send({ type: 'subscribe', id, subject });
        handlers.onState('live');
        handlers.onWelcome?.(frame, reconnected);
        return;
      }
      case 'data':
        handlers.onSamples(frame.samples);
        return;
      case 'error':
        handlers.onServerError?.(frame.code, frame.message);
        return;
      default:
        return;
    }
  }

  // Back online after a network drop: skip the rest of the backoff wait.
  const onOnline = () => {
    if (retryTimer !== undefined && !closed) {
      clearTimeout(retryTimer);
      connect();
    }
  };
  window.addEventListener('online', onOnline);

  // Like EventSource, nothing is reported before the caller has the client in hand.
  queueMicrotask(() => {
    if (!closed) connect();
  });

  return {
    subscribe(id, subject) {
      if (wanted.has(id)) send({ type: 'unsubscribe', id });
      wanted.set(id, subject);
      send({ type: 'subscribe', id, subject });
    },
    unsubscribe(id) {
      if (!wanted.delete(id)) return;
      send({ type: 'unsubscribe', id });
    },
    close() {
      closed = true;
      window.removeEventListener('online', onOnline);
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      ws?.close(1000, 'signed out');
      ws = null;
      handlers.onState('closed');
    },
  };
}

function defaultUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/stream`;
}
