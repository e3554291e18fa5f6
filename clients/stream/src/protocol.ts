/**
 * Stream protocol v1 as this client sees it (docs/stream-protocol.md). Kept here rather than
 * imported from schema/wire so the published client has no dependency (no zod) and can be
 * copied into another project as it is.
 */

/** One sample of a `data` frame. */
export interface StreamSample {
  subject: string;
  seriesId: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  value: number;
}

/** One event of the event log. */
export interface StreamEvent {
  id: string;
  type: string;
  subject: string;
  ts: number;
  correlationId: string | null;
  data: Record<string, unknown>;
}

/** A client-chosen subscription id, echoed back by the server. */
export type SubscriptionId = string | number;

/** Where a connection is in the hub's sequence; sent back in `hello.resume` after a reconnect. */
export interface ResumePoint {
  epoch: string;
  seq: number;
}

export interface WelcomeFrame {
  type: 'welcome';
  v: number;
  epoch: string;
  seq: number;
  limits?: Record<string, number>;
  /** True when the server accepted `hello.resume`; subscriptions then replay what was missed. */
  resumed?: boolean;
}
export interface DataFrame {
  type: 'data';
  seq: number;
  epoch: string;
  samples: StreamSample[];
  /** Set when the server kept only the latest value per series because the client fell behind. */
  conflated?: true;
}
export interface EventFrame {
  type: 'event';
  seq: number;
  epoch: string;
  event: StreamEvent;
  /** A `replay-then-live` event from the log; its seq is the hub's when the replay began, not its own. */
  replay?: true;
}
/** History cannot cover the resume for subscription `id`: refetch over the HTTP API. */
export interface GapFrame {
  type: 'gap';
  id: SubscriptionId;
  epoch: string;
  fromSeq?: number;
  /** `epoch_changed`, `out_of_window`, `replay_too_large`, `replay_failed`; the client adds `not_resumed`. */
  reason: string;
}
export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  ref?: SubscriptionId;
}
export type ServerFrame =
  | WelcomeFrame
  | { type: 'subscribed'; id: SubscriptionId; subject: string }
  | { type: 'unsubscribed'; id: SubscriptionId }
  | DataFrame
  | EventFrame
  | GapFrame
  | ErrorFrame
  | { type: 'pong' };

export type ClientFrame =
  | { type: 'hello'; v: 1; resume?: ResumePoint; credits?: number }
  | {
      type: 'subscribe';
      id: SubscriptionId;
      subject: string;
      mode?: 'live' | 'replay-then-live';
      from?: { ts: number };
    }
  | { type: 'unsubscribe'; id: SubscriptionId }
  | { type: 'credit'; n: number }
  | { type: 'ping' };

/** Close codes from the protocol. */
export const CLOSE = {
  goingAway: 1001,
  slowConsumer: 4008,
  protocolError: 4400,
  unauthorised: 4401,
} as const;

/** The largest `credit.n` the server accepts. */
export const MAX_CREDIT = 10_000;
