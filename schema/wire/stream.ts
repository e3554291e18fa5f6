import { z } from 'zod';

/**
 * Stream protocol v1 wire types, shared by the ChannelHub, the dashboard and API clients.
 * The contract is written up in docs/stream-protocol.md.
 */

export const STREAM_PROTOCOL_VERSION = 1;

/** One sample as published by a DeviceHub and delivered in data frames. */
export interface StreamSample {
  subject: string;
  seriesId: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

/** Limits a connection works within; also sent in `welcome` so clients need not hard-code them. */
export const STREAM_LIMITS = {
  /** Largest client frame, in bytes of UTF-8. */
  maxFrameBytes: 16_384,
  maxSubscriptions: 100,
  maxPatternLength: 512,
  maxPatternLevels: 16,
  /** Ids and patterns of one connection together, in characters (they live in a 16 KB attachment). */
  maxSubscriptionChars: 12_000,
  /** Protocol errors tolerated per minute before the server closes with 4400. */
  maxProtocolErrorsPerMinute: 10,
  /** Largest `n` of one `credit` message. */
  maxCreditGrant: 10_000,
  /** Outstanding credits saturate here; more grants are accepted but not counted. */
  maxOutstandingCredits: 1_000_000,
  /** Queued bytes past which a connection's pending samples are conflated per series. */
  softQueueBytes: 262_144,
  /** Queued bytes past which the connection is closed with 4008 (slow consumer). */
  hardQueueBytes: 1_048_576,
  /** The replay ring keeps at most this many frames … */
  ringMaxFrames: 10_000,
  /** … and none older than this (ms) … */
  ringMaxAgeMs: 300_000,
  /** … and at most this many characters of JSON (64 MiB). */
  ringMaxBytes: 67_108_864,
  /** `replay-then-live` replays at most this many events; more gives `gap`. */
  maxReplayEvents: 10_000,
} as const;

/** Close codes the server uses (1001 comes from the platform on deploys and restarts). */
export const STREAM_CLOSE = {
  goingAway: 1001,
  /** The connection's queue passed `hardQueueBytes`: reconnect and resume. */
  slowConsumer: 4008,
  protocolError: 4400,
  /** The access behind the connection was withdrawn (key revoked, session ended, member removed, role lowered). */
  unauthorised: 4401,
} as const;

/** Every `code` an `error` frame may carry. */
export type StreamErrorCode =
  | 'invalid_frame'
  | 'frame_too_large'
  | 'invalid_json'
  | 'unknown_type'
  | 'invalid_message'
  | 'unsupported'
  | 'unsupported_version'
  | 'invalid_subject'
  | 'forbidden_subject'
  | 'duplicate_id'
  | 'unknown_subscription'
  | 'limit_exceeded'
  /** The last frame of an SSE stream whose access was withdrawn (a WebSocket closes with 4401 instead). */
  | 'unauthorised'
  | 'internal';

/** A client-chosen subscription id, echoed back unchanged. */
export const subscriptionId = z.union([
  z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'id must be 1-64 characters of [A-Za-z0-9._:-]'),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
]);
export type SubscriptionId = z.infer<typeof subscriptionId>;

const creditCount = z.number().int().min(1).max(STREAM_LIMITS.maxCreditGrant);

/** Opens (or resumes) a session; `credits` is an optional initial grant. */
export const helloMessage = z.object({
  type: z.literal('hello'),
  v: z.number().int(),
  resume: z.object({ epoch: z.string().max(64), seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).optional(),
  credits: creditCount.optional(),
});

/** `replay-then-live` needs `from.ts`: events from then, out of the event log, then live. */
export const subscribeMessage = z.object({
  type: z.literal('subscribe'),
  id: subscriptionId,
  subject: z.string(),
  mode: z.enum(['live', 'replay-then-live']).optional(),
  from: z.object({ ts: z.number().int().min(0) }).optional(),
});

export const unsubscribeMessage = z.object({ type: z.literal('unsubscribe'), id: subscriptionId });
export const pingMessage = z.object({ type: z.literal('ping') });
/** Allows the server `n` more data or event frames. */
export const creditMessage = z.object({ type: z.literal('credit'), n: creditCount });

export const streamClientMessage = z.discriminatedUnion('type', [
  helloMessage,
  subscribeMessage,
  unsubscribeMessage,
  pingMessage,
  creditMessage,
]);
export type StreamClientMessage = z.infer<typeof streamClientMessage>;
export const STREAM_CLIENT_TYPES = ['hello', 'subscribe', 'unsubscribe', 'ping', 'credit'] as const;

export interface WelcomeFrame {
  type: 'welcome';
  v: number;
  /** Changes when the hub loses its sequence; a client holding another epoch must refetch. */
  epoch: string;
  /** The last sequence number issued; later data frames carry larger ones. */
  seq: number;
  limits: typeof STREAM_LIMITS;
  /** True when `hello.resume` was honoured: subscriptions will replay what was missed. */
  resumed: boolean;
}
export interface SubscribedFrame {
  type: 'subscribed';
  id: SubscriptionId;
  subject: string;
}
export interface UnsubscribedFrame {
  type: 'unsubscribed';
  id: SubscriptionId;
}
/** The samples of one publish that match any of the connection's subscriptions. */
export interface DataFrame {
  type: 'data';
  seq: number;
  epoch: string;
  samples: StreamSample[];
  /**
   * Set when the client fell behind and samples were conflated to the latest per series:
   * earlier values of those series were dropped; `seq` is the latest publish folded in.
   */
  conflated?: true;
}
/** Why history cannot be delivered. */
export type GapReason = 'epoch_changed' | 'out_of_window' | 'replay_too_large' | 'replay_failed';
/** History for subscription `id` is missing from `fromSeq` (when known): refetch over the API. */
export interface GapFrame {
  type: 'gap';
  id: SubscriptionId;
  epoch: string;
  fromSeq?: number;
  reason: GapReason;
}
export interface PongFrame {
  type: 'pong';
}
export interface ErrorFrame {
  type: 'error';
  code: StreamErrorCode;
  message: string;
  /** The subscription id the error is about, when there is one. */
  ref?: SubscriptionId;
}
/** An event of the event log, as published after it is persisted. */
export interface StreamEvent {
  id: string;
  /** e.g. `device.offline`, `config.changed`. */
  type: string;
  /** e.g. `org.<org>.site.<site>.device.<device>.event.device_offline`. */
  subject: string;
  ts: number;
  correlationId: string | null;
  data: Record<string, unknown>;
}
/** One event, delivered to subscriptions that match its subject. */
export interface EventFrame {
  type: 'event';
  seq: number;
  epoch: string;
  event: StreamEvent;
  /** Set on events replayed from the log by `replay-then-live`; their `seq` is the hub's seq when the replay began. */
  replay?: true;
}
export type StreamServerFrame =
  WelcomeFrame | SubscribedFrame | UnsubscribedFrame | DataFrame | EventFrame | GapFrame | PongFrame | ErrorFrame;
