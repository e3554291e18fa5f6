import {
  createStreamClient,
  type EventFrame,
  type GapFrame,
  type StreamSample,
  type StreamState,
  type SubscriptionId,
  type WelcomeFrame,
} from '../../../clients/stream/src/index.ts';

export type { GapFrame, StreamState };

/** How a subscription starts: `replay-then-live` replays events from `from.ts` out of the log first. */
export interface SubscribeOptions {
  mode?: 'live' | 'replay-then-live';
  from?: { ts: number };
}

export interface StreamHandlers {
  onSamples(samples: StreamSample[]): void;
  /** An event (live, or replayed from the log for a `replay-then-live` subscription). */
  onEvent?(frame: EventFrame): void;
  /** `retryInMs` is set while waiting to reconnect. */
  onState(state: StreamState, retryInMs?: number): void;
  onWelcome?(welcome: WelcomeFrame, reconnected: boolean): void;
  /** Subscription `gap.id` missed frames the server could not replay: refetch them over the API. */
  onGap?(gap: GapFrame): void;
  onServerError?(code: string, message: string): void;
  /** The server closed with 4401: the session is gone, so reconnecting is pointless. */
  onUnauthorised?(): void;
}

export interface StreamClient {
  /**
   * Adds or replaces the subscription `id`; sent now if connected, else on the next connection.
   * Resolves when the server confirmed it, rejects when it refused it (e.g. `forbidden_subject`).
   */
  subscribe(id: SubscriptionId, subject: string, options?: SubscribeOptions): Promise<void>;
  unsubscribe(id: SubscriptionId): void;
  /** Closes for good (sign-out); no reconnect follows. */
  close(): void;
}

/**
 * The dashboard's one WebSocket to `/v1/stream`: a thin adapter over the published client
 * (clients/stream), which grants credits, reconnects with jittered backoff and resumes.
 * The browser sends the session cookie, so no headers.
 */
export function openStream(handlers: StreamHandlers, url = defaultUrl()): StreamClient {
  let signedOut = false;
  const client = createStreamClient({
    url,
    // Handlers run synchronously, so credits come back at once; the window only has to cover the
    // round trip while the events page's replay (up to 10,000 events) streams in.
    window: 256,
    backoff: { baseMs: 1000, maxMs: 30_000 },
    onData: (frame) => handlers.onSamples(frame.samples),
    onEvent: (frame) => handlers.onEvent?.(frame),
    onGap: (gap) => handlers.onGap?.(gap),
    onWelcome: (welcome, info) => handlers.onWelcome?.(welcome, info.reconnected),
    onError: (err) => handlers.onServerError?.(err.code, err.message),
    onState(state, info) {
      handlers.onState(state, info.retryInMs);
      if (state === 'closed' && info.code === 4401 && !signedOut) handlers.onUnauthorised?.();
    },
  });
  return {
    subscribe: (id, subject, options) => client.subscribe(id, subject, options),
    unsubscribe: (id) => client.unsubscribe(id),
    close() {
      signedOut = true;
      client.close();
    },
  };
}

function defaultUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/stream`;
}
