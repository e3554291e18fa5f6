import {
  createStreamClient,
  type GapFrame,
  type StreamSample,
  type StreamState,
  type SubscriptionId,
  type WelcomeFrame,
} from '../../../clients/stream/src/index.ts';

export type { StreamState };

export interface StreamHandlers {
  onSamples(samples: StreamSample[]): void;
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
  /** Adds or replaces the subscription `id`; sent now if connected, else on the next connection. */
  subscribe(id: SubscriptionId, subject: string): void;
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
    // The chart draws one sample per frame at most every few hundred ms: a small window is plenty.
    window: 64,
    backoff: { baseMs: 1000, maxMs: 30_000 },
    onData: (frame) => handlers.onSamples(frame.samples),
    onGap: (gap) => handlers.onGap?.(gap),
    onWelcome: (welcome, info) => handlers.onWelcome?.(welcome, info.reconnected),
    onError: (err) => handlers.onServerError?.(err.code, err.message),
    onState(state, info) {
      handlers.onState(state, info.retryInMs);
      if (state === 'closed' && info.code === 4401 && !signedOut) handlers.onUnauthorised?.();
    },
  });
  return {
    subscribe: (id, subject) => client.subscribe(id, subject),
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
