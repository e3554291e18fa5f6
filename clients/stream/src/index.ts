/**
 * Edgewatch stream client (protocol v1, docs/stream-protocol.md): credits, resume, reconnect.
 * Runs in browsers and Node ≥ 22. See clients/stream/README.md.
 */
export { createStreamClient } from './client.ts';
export type { StreamClient, StreamClientOptions, StreamState, StateInfo, WelcomeInfo } from './options.ts';
export { fullJitterBackoff, type Backoff, type BackoffOptions } from './backoff.ts';
export { creditWindow, type CreditWindow } from './credits.ts';
export { resumeTracker, type ResumeTracker } from './resume.ts';
export { SubscriptionError } from './confirmations.ts';
export type { WebSocketConstructor, WebSocketLike } from './socket.ts';
export * from './protocol.ts';
