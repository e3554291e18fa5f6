import {
  STREAM_LIMITS,
  type ErrorFrame,
  type GapReason,
  type StreamClientMessage,
  type StreamSample,
  type SubscriptionId,
} from '../../../../schema/wire/stream.ts';
import {
  compilePattern,
  matches,
  validatePattern,
  type CompiledPattern,
} from '../../services/streams/subject-match.ts';
import type { StreamPrincipal } from '../../services/streams/principal.ts';

/**
 * One connection's state. It is mirrored into the socket's attachment after every change,
 * because the attachment is all that survives hibernation.
 */
export interface Session {
  orgId: string;
  /** Who opened the connection; null only for sockets accepted before principals were recorded. */
  principal: StreamPrincipal | null;
  subs: Map<SubscriptionId, CompiledPattern>;
  /** Protocol errors in the current one-minute window, and when that window opened. */
  errors: number;
  errorsSince: number;
  /** From `hello.resume`: where subscriptions replay from, or why they cannot. */
  resume: Resume | null;
  /** Credits left and the last seq sent, as of the last save (the outbox holds the live values). */
  credits: number;
  lastSeq: number;
  /** True when frames were waiting for credits at the last save. */
  behind: boolean;
}

/** A resume point that the ring covers, or the gap a subscription must report. */
export type Resume = { seq: number } | { gap: GapReason; fromSeq: number };

/** The serialised form; kept small and versioned so a deploy can read older sockets' state. */
interface Attachment {
  v: 1 | 2 | 3;
  orgId: string;
  /** Since v3. */
  principal?: StreamPrincipal | null;
  subs: [SubscriptionId, string][];
  errors: number;
  errorsSince: number;
  resume?: Resume | null;
  credits?: number;
  lastSeq?: number;
  behind?: boolean;
}

/** A fresh session for a new connection of `principal` in an org. */
export function newSession(orgId: string, principal: StreamPrincipal | null): Session {
  return {
    orgId,
    principal,
    subs: new Map(),
    errors: 0,
    errorsSince: 0,
    resume: null,
    credits: 0,
    lastSeq: 0,
    behind: false,
  };
}

/** Writes the session into the socket's attachment (≤ 16 KB, bounded by STREAM_LIMITS). */
export function saveSession(ws: WebSocket, session: Session): void {
  const attachment: Attachment = {
    v: 3,
    orgId: session.orgId,
    principal: session.principal,
    subs: [...session.subs].map(([id, p]) => [id, p.source]),
    errors: session.errors,
    errorsSince: session.errorsSince,
    resume: session.resume,
    credits: session.credits,
    lastSeq: session.lastSeq,
    behind: session.behind,
  };
  ws.serializeAttachment(attachment);
}

/** Rebuilds a session after hibernation; null when the socket carries no usable attachment. */
export function loadSession(ws: WebSocket): Session | null {
  const a = ws.deserializeAttachment() as Attachment | null;
  if (!a || ![1, 2, 3].includes(a.v) || typeof a.orgId !== 'string') return null;
  return {
    orgId: a.orgId,
    principal: a.principal ?? null,
    subs: new Map(a.subs.map(([id, source]) => [id, compilePattern(source)])),
    errors: a.errors,
    errorsSince: a.errorsSince,
    resume: a.resume ?? null,
    credits: a.credits ?? 0,
    lastSeq: a.lastSeq ?? 0,
    behind: a.behind ?? false,
  };
}

/**
 * Adds a subscription to the session, or says why not (the session is then unchanged).
 * The caller persists the session and confirms.
 */
export function addSubscription(
  session: Session,
  msg: Extract<StreamClientMessage, { type: 'subscribe' }>,
): ErrorFrame | null {
  const refuse = (code: ErrorFrame['code'], message: string): ErrorFrame => ({
    type: 'error',
    code,
    message,
    ref: msg.id,
  });
  if (msg.mode === 'replay-then-live' && msg.from === undefined) {
    return refuse('invalid_message', 'mode "replay-then-live" needs "from": {"ts": <ms since epoch>}');
  }
  if (session.subs.has(msg.id))
    return refuse('duplicate_id', 'a subscription with this id exists: unsubscribe it first');
  const check = validatePattern(msg.subject, session.orgId);
  if (!check.ok) return refuse(check.code, check.message);
  const { maxSubscriptions, maxSubscriptionChars } = STREAM_LIMITS;
  if (session.subs.size >= maxSubscriptions) {
    return refuse('limit_exceeded', `at most ${maxSubscriptions} subscriptions per connection`);
  }
  // The attachment that carries subscriptions through hibernation holds at most 16 KB.
  if (subscriptionChars(session) + String(msg.id).length + msg.subject.length > maxSubscriptionChars) {
    return refuse(
      'limit_exceeded',
      `ids and patterns may take at most ${maxSubscriptionChars} characters per connection`,
    );
  }
  session.subs.set(msg.id, check.pattern);
  return null;
}

function subscriptionChars(session: Session): number {
  let n = 0;
  for (const [id, p] of session.subs) n += String(id).length + p.source.length;
  return n;
}

/**
 * Counts a protocol error in a fixed one-minute window; true when the connection has
 * passed the limit and should be closed with 4400.
 */
export function countProtocolError(session: Session, now: number): boolean {
  if (now - session.errorsSince > 60_000) {
    session.errors = 0;
    session.errorsSince = now;
  }
  session.errors += 1;
  return session.errors > STREAM_LIMITS.maxProtocolErrorsPerMinute;
}

/** True when any of the session's subscriptions matches `subject`. */
export function subscribedTo(session: Session, subject: string): boolean {
  for (const p of session.subs.values()) if (matches(p, subject)) return true;
  return false;
}

/** The samples any of the session's subscriptions match, each once, in publish order. */
export function selectSamples(session: Session, samples: readonly StreamSample[]): StreamSample[] {
  if (session.subs.size === 0) return [];
  return samples.filter((s) => subscribedTo(session, s.subject));
}

/**
 * True when `subject` matches subscription `id` but none subscribed before it, so a replay
 * for a new subscription never repeats what an older one already delivered.
 */
export function newlyMatched(session: Session, id: SubscriptionId, subject: string): boolean {
  for (const [other, p] of session.subs) {
    if (other === id) return matches(p, subject);
    if (matches(p, subject)) return false;
  }
  return false;
}
