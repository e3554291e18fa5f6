import type { DataFrame, ErrorFrame, EventFrame, GapFrame, ResumePoint } from './protocol.ts';
import type { SubscriptionId, WelcomeFrame } from './protocol.ts';
import type { WebSocketConstructor } from './socket.ts';

/** `connecting` before the first welcome, `reconnecting` while waiting to or trying to come back. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** Why the state changed: the delay before the next attempt, or the close that caused it. */
export interface StateInfo {
  retryInMs?: number;
  code?: number;
  reason?: string;
  /** The server closed with 4401: the access behind the stream was withdrawn, so it stays closed. */
  unauthorised?: true;
}

export interface WelcomeInfo {
  /** Not the first connection. */
  reconnected: boolean;
  /** The server resumed from the last (epoch, seq); when false after a reconnect, gaps follow. */
  resumed: boolean;
}

export interface StreamClientOptions {
  /** `ws://…/v1/stream` or `wss://…/v1/stream`. */
  url: string;
  /** Node only, e.g. `{ authorization: 'Bearer <api key>' }`; browsers send the session cookie. */
  headers?: Record<string, string>;
  /** Defaults to the global WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Resume from a saved `position` (e.g. of a previous process) on the first connection. */
  resumeFrom?: ResumePoint;
  /** Credits kept granted (1..10,000, default 64): how many frames may be in flight to us. */
  window?: number;
  /** Reconnect delays, full jitter (default 1 s doubling to 30 s). */
  backoff?: { baseMs: number; maxMs: number; random?: () => number };
  /** Heartbeat: ping this often (default 25 s); reconnect if nothing is heard within `pongWithinMs` (10 s). */
  pingEveryMs?: number;
  pongWithinMs?: number;
  /** A data frame. Its credit is returned when this returns, or when its promise settles. */
  onData?(frame: DataFrame): void | Promise<void>;
  /** An event frame; credited like `onData`. */
  onEvent?(frame: EventFrame): void | Promise<void>;
  /** Frames for subscription `gap.id` were lost (outside the replay window, or not resumed): refetch over the API. */
  onGap?(gap: GapFrame): void;
  onState?(state: StreamState, info: StateInfo): void;
  onWelcome?(welcome: WelcomeFrame, info: WelcomeInfo): void;
  onError?(error: ErrorFrame): void;
}

export interface StreamClient {
  /**
   * Adds or replaces subscription `id`; sent now if live, and again after every reconnect.
   * Resolves when the server confirmed it (`subscribed`): frames published from then on
   * reach `onData`/`onEvent`. Rejects with a `SubscriptionError` when the server refuses it
   * (its `frame` is the `error`, e.g. `forbidden_subject`; the subscription is dropped), or
   * when it is unsubscribed, replaced or the client closed first. Ignoring the promise is
   * safe: a rejection nobody awaits is not reported as unhandled.
   */
  subscribe(
    id: SubscriptionId,
    subject: string,
    opts?: { mode?: 'live' | 'replay-then-live'; from?: { ts: number } },
  ): Promise<void>;
  unsubscribe(id: SubscriptionId): void;
  /** Closes for good; no reconnect follows. */
  close(): void;
  readonly state: StreamState;
  /** The last (epoch, seq) received, sent as `hello.resume` on reconnect. */
  readonly position: ResumePoint | undefined;
  /** Counters for tests and benchmarks. */
  stats(): { frames: number; duplicates: number; connections: number; outstanding: number; overruns: number };
}
