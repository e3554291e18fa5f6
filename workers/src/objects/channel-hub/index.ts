import { ApiError } from '../../errors.ts';
import type { StreamPrincipals } from '../../services/streams/close.ts';
import { DurableObject } from 'cloudflare:workers';
import { STREAM_CLOSE, type EventFrame, type StreamEvent, type StreamSample } from '../../../../schema/wire/stream.ts';
import { log } from '../../services/log.ts';
import { metered } from '../../services/meter/metered-env.ts';
import { announceGap, deliverData, deliverEvent, type Conn } from './conn.ts';
import { handleMessage, type HubView } from './messages.ts';
import { frame, parseClientFrame } from './protocol.ts';
import { FrameBatcher } from './batcher.ts';
import { Ring, type RingAppend } from './ring.ts';
import { unpackSamples, type PackedSamples } from './packed.ts';
import { countProtocolError, newSession, saveSession } from './session.ts';
import { needsSave, restoreConn, revokeSocket, saveConn, socketConn, type HubCounters } from './socket.ts';
import { openSse, SSE_HEARTBEAT_MS } from './sse.ts';
import { settings } from '../../settings.ts';
import { authFailure } from '../../middleware/auth/index.ts';
import {
  isOneOf,
  parsePrincipal,
  principalTags,
  STREAM_PRINCIPAL_HEADER,
  tagsOf,
} from '../../services/streams/principal.ts';
import { Withdrawals } from './withdrawals.ts';
import type { ChannelHubStats, ChannelHubTuning } from './figures.ts';
import { Downstream, shardPage, type ShardBatch, type ShardPage } from './downstream.ts';
import { Upstream } from './upstream.ts';
import {
  hubByName,
  orgHubName,
  parseHubName,
  servesViewersOf,
  shardNames,
  streamLayout,
} from '../../services/streams/routing.ts';

/** Header the Worker sets on the hub's upgrade request; built fresh there, never copied from a client. */
export const STREAM_ORG_HEADER = 'X-Edgewatch-Stream-Org';

export type { ChannelHubStats, ChannelHubTuning } from './figures.ts';

/**
 * The name of an org's unsharded hub, which takes every publish and serves every viewer when
 * the layout has one shard and one relay. Which hub a publisher or viewer uses in any layout is
 * decided in services/streams/routing.ts.
 */
export const channelHubName = orgHubName;

/** The stub of the org's unsharded hub (`org:<org>`). */
export function channelHubFor(env: Env, orgId: string): DurableObjectStub<ChannelHub> {
  return hubByName(env, channelHubName(orgId));
}

/** A coalesced data frame holds at most this many samples; a fuller one goes out at once. */
const MAX_FRAME_SAMPLES = 5_000;

// Sequence numbers are reserved in blocks so a publish rarely waits on a storage write,
// yet a restarted hub never reissues one.
const SEQ_BLOCK = 1024;

/**
 * Live fan-out for one org: DeviceHubs `publish` durable samples, `recordEvent` publishes
 * persisted events, and WebSocket or SSE clients subscribe by subject pattern (protocol v1,
 * docs/stream-protocol.md). Every frame is kept in a replay ring in the hub's SQLite;
 * each connection has credits and a bounded queue. Sockets use the Hibernation API, with
 * subscriptions, credits and resume state in their attachments.
 *
 * In a sharded layout (routing.ts) the same class plays two more roles, by its name: a publish
 * shard (`org:<org>:p<k>`) also pushes each frame to the relays attached to it (downstream.ts),
 * and a relay (`org:<org>:r<j>`) takes those frames instead of publishes, numbering them under
 * its own epoch and seq (upstream.ts), so the viewers it serves see one ordinary stream.
 */
export class ChannelHub extends DurableObject<Env> {
  readonly #epoch: string;
  #seq: number;
  readonly #ring: Ring;
  #reserved: number;
  // Connection state, rebuilt lazily from attachments after hibernation.
  readonly #conns = new WeakMap<WebSocket, Conn>();
  readonly #sse = new Set<Conn>();
  readonly #counters: HubCounters = {
    maxQueuedBytes: 0,
    conflatedSamples: 0,
    slowConsumerCloses: 0,
  };
  #heartbeatMs = SSE_HEARTBEAT_MS;
  readonly #batcher: FrameBatcher;
  readonly #withdrawals = new Withdrawals();
  /** Set on a relay: its feed from the org's shards. */
  readonly #upstream: Upstream | undefined;
  /** Set on a hub that may feed relays (any but a relay). */
  readonly #downstream: Downstream | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, metered(env, 'ChannelHub'));
    const kv = ctx.storage.kv;
    let epoch = kv.get<string>('epoch');
    if (!epoch) {
      epoch = crypto.randomUUID();
      kv.put('epoch', epoch);
    }
    this.#epoch = epoch;
    this.#seq = this.#reserved = kv.get<number>('seqReserved') ?? 0;
    this.#ring = new Ring(ctx.storage);
    this.#batcher = new FrameBatcher(settings(env).STREAM_FLUSH_MS, MAX_FRAME_SAMPLES, (s) => this.#emitData(s));
    const name = ctx.id.name;
    const role = name === undefined ? null : parseHubName(name);
    if (name !== undefined && role?.role === 'relay') {
      const shards = shardNames(streamLayout(env), role.orgId);
      this.#upstream = new Upstream(ctx.storage, this.env, name, shards, {
        apply: (f) => this.#applyShardFrame(f),
        hole: () => this.#hole(),
      });
    } else if (name !== undefined) this.#downstream = new Downstream(ctx.storage.kv, this.env, name, epoch);
    // Answered by the runtime without waking the hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  /**
   * Accepts a WebSocket upgrade forwarded by `GET /v1/stream`, or opens an SSE stream for
   * `GET /v1/stream/sse` (path `/sse?subject=`), for the org named in {@link STREAM_ORG_HEADER}
   * and the principal in {@link STREAM_PRINCIPAL_HEADER}.
   */
  override async fetch(request: Request): Promise<Response> {
    const orgId = request.headers.get(STREAM_ORG_HEADER);
    const principal = parsePrincipal(request.headers.get(STREAM_PRINCIPAL_HEADER));
    const name = this.ctx.id.name;
    if (!orgId || !principal || (name !== undefined && !servesViewersOf(name, orgId))) {
      return new ApiError(400, 'bad_request', 'request reached the wrong hub').response();
    }
    // A relay lets a viewer in once it is fed and has caught up, so a resume finds every frame.
    await this.#upstream?.ensure();
    // Authenticated before a withdrawal that has already closed this principal's streams.
    if (this.#withdrawals.refuses(principal, Date.now())) {
      return authFailure(principal.via === 'api-key' ? 'invalid_api_key' : 'invalid_session').response();
    }
    const url = new URL(request.url);
    if (url.pathname === '/sse') {
      const subject = url.searchParams.get('subject') ?? '';
      const last = request.headers.get('last-event-id');
      const hub = this.#view();
      return openSse(hub, orgId, principal, subject, last, this.#counters, this.#heartbeatMs, this.#sse);
    }
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new ApiError(426, 'upgrade_required', 'expected a WebSocket upgrade').response();
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, principalTags(principal));
    const session = newSession(orgId, principal);
    saveSession(server, session);
    this.#conns.set(server, socketConn(server, session, this.#epoch, this.#counters));
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Publishes the samples of one durable batch, packed by series (packed.ts), as a DeviceHub
   * hands them over: at once when the hub is idle, else coalesced
   * with other publishes of the flush interval into one frame under one new hub-wide `seq`.
   * Each connection is offered one data frame with the samples it subscribed to.
   */
  async publish(packed: PackedSamples): Promise<void> {
    if (packed.ts.length === 0) return;
    this.#batcher.add(packed);
  }

  #emitData(parts: PackedSamples[]): void {
    const seq = this.#nextSeq();
    // Sample objects only for connections to offer them to; the ring keeps the parts packed.
    let samples: StreamSample[] | undefined;
    const all = () => (samples ??= unpackSamples(parts));
    let shared: string | undefined;
    const text = () => (shared ??= frame({ type: 'data', seq, epoch: this.#epoch, samples: all() }));
    for (const conn of this.#allConns()) deliverData(conn, seq, all(), text);
    this.#afterFanOut();
    // After fan-out: a connection rebuilt from the ring during fan-out must not see this frame twice.
    this.#record({ seq, kind: 'data', parts }, Date.now());
  }

  /** Publishes one persisted event to every connection with a subscription matching its subject. */
  async publishEvent(event: StreamEvent): Promise<void> {
    this.#emitEvent(event);
  }

  #emitEvent(event: StreamEvent): void {
    this.#batcher.flush();
    const seq = this.#nextSeq();
    const f: EventFrame = { type: 'event', seq, epoch: this.#epoch, event };
    const text = frame(f);
    const now = Date.now();
    for (const conn of this.#allConns()) deliverEvent(conn, f, text, now);
    this.#afterFanOut();
    this.#record({ seq, kind: 'event', event }, now);
  }

  // Ring row, relay cursors and the push to relays in one synchronous step (one storage commit).
  #record(entry: RingAppend, now: number): void {
    const prev = this.#ring.last;
    this.#ring.append(entry, now);
    this.#upstream?.persist();
    this.#downstream?.push(prev, entry, now);
  }

  /** Shard side: starts or renews a relay's lease on this hub's frames; says where its sequence stands. */
  async attachRelay(relay: string): Promise<Omit<ShardPage, 'covered' | 'frames'>> {
    this.#downstream?.attach(relay, Date.now());
    return { epoch: this.#epoch, last: this.#ring.last };
  }

  /** Shard side: a relay without viewers stops being fed. */
  async detachRelay(relay: string): Promise<void> {
    this.#downstream?.detach(relay);
  }

  /** Shard side: one page of the frames after `after`, for a relay catching up. */
  async framesAfter(after: number): Promise<ShardPage> {
    return shardPage(this.#ring, this.#epoch, after);
  }

  /** Relay side: frames a shard pushes. */
  async deliver(batch: ShardBatch): Promise<void> {
    if (!this.#upstream) throw new Error('deliver reached a hub that is not a relay');
    await this.#upstream.deliver(batch);
  }

  /** Relay side: renews the shards' leases while viewers remain, else lets them lapse. */
  override async alarm(): Promise<void> {
    if (!this.#upstream) return;
    if (this.ctx.getWebSockets().length + this.#sse.size > 0) await this.#upstream.renew();
    else await this.#upstream.detach();
  }

  #applyShardFrame(f: RingAppend): void {
    if (f.kind === 'data') this.#batcher.addAll(f.parts);
    else this.#emitEvent(f.event);
  }

  // A relay lost frames of a shard: the hole takes a seq of its own, no resume point before it is
  // honoured, and every open subscription is told.
  #hole(): void {
    this.#batcher.flush();
    const seq = this.#nextSeq();
    this.#ring.forgetThrough(seq);
    for (const conn of this.#allConns()) announceGap(conn, seq);
  }

  /**
   * Ends the streams of these principals after their access was withdrawn: WebSockets close
   * with 4401, SSE streams get a last `event: error` (`unauthorised`) and end. A connect of
   * theirs that was authenticated before this call is refused when it arrives. Returns how
   * many connections were ended.
   */
  async closeStreams(who: StreamPrincipals): Promise<number> {
    const reason = 'access withdrawn: the credential was revoked or the role changed';
    this.#withdrawals.record(who, Date.now());
    let ended = 0;
    const sockets = new Set(tagsOf(who).flatMap((tag) => this.ctx.getWebSockets(tag)));
    for (const ws of sockets) if (revokeSocket(ws, this.#conns, this.#epoch, this.#counters, reason)) ended += 1;
    for (const conn of [...this.#sse]) {
      if (!isOneOf(conn.session.principal, who)) continue;
      conn.revoke(reason);
      ended += 1;
    }
    return ended;
  }

  /** Connection and queue figures; `maxQueuedBytes` never exceeds the hard cap. */
  async stats(): Promise<ChannelHubStats> {
    this.#batcher.flush();
    let queuedBytes = 0;
    let connections = 0;
    for (const conn of this.#allConns()) {
      connections += 1;
      queuedBytes += conn.outbox.bytes;
    }
    return {
      connections,
      sseConnections: this.#sse.size,
      queuedBytes,
      maxQueuedBytes: this.#counters.maxQueuedBytes,
      ringFrames: this.#ring.size,
      conflatedSamples: this.#counters.conflatedSamples,
      slowConsumerCloses: this.#counters.slowConsumerCloses,
      relays: this.#downstream?.size(Date.now()) ?? 0,
      seq: this.#seq,
      epoch: this.#epoch,
    };
  }

  /** Test hook: shrinks the replay ring or the SSE heartbeat of this (in-memory) hub instance. */
  async tune(t: ChannelHubTuning): Promise<void> {
    if (t.flushMs !== undefined) this.#batcher.flushMs = t.flushMs;
    if (t.ringMaxFrames !== undefined) this.#ring.limits.maxFrames = t.ringMaxFrames;
    if (t.ringMaxAgeMs !== undefined) this.#ring.limits.maxAgeMs = t.ringMaxAgeMs;
    if (t.ringMaxBytes !== undefined) this.#ring.limits.maxBytes = t.ringMaxBytes;
    if (t.sseHeartbeatMs !== undefined) this.#heartbeatMs = t.sseHeartbeatMs;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const conn = this.#conn(ws);
    if (!conn) {
      ws.close(1011, 'connection state lost; reconnect');
      return;
    }
    const parsed = parseClientFrame(message);
    if (!parsed.ok) {
      ws.send(frame(parsed.error));
      if (countProtocolError(conn.session, Date.now())) {
        ws.close(STREAM_CLOSE.protocolError, 'too many protocol errors');
        return;
      }
      saveConn(ws, conn);
      return;
    }
    const changed = handleMessage(this.#view(), ws, conn, parsed.message);
    if (changed === true) saveConn(ws, conn);
    else if (changed instanceof Promise) {
      // The subscription is in place before the history query: save it first.
      saveConn(ws, conn);
      if (await changed) saveConn(ws, conn);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const conn = this.#conns.get(ws);
    if (conn) conn.closed = true;
    this.#conns.delete(ws);
    // The Hibernation API leaves the closing handshake to us; 1005/1006/1015 may not be sent.
    try {
      ws.close([1005, 1006, 1015].includes(code) ? 1000 : code, reason);
    } catch {
      // Already closed, or a code we may not echo.
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    const conn = this.#conns.get(ws);
    if (conn) conn.closed = true;
    this.#conns.delete(ws);
    log.warn('stream socket error', { error: error instanceof Error ? error.message : String(error) });
  }

  *#allConns(): Generator<Conn> {
    for (const ws of this.ctx.getWebSockets()) {
      const conn = this.#conn(ws);
      if (conn && !conn.closed) yield conn;
    }
    yield* this.#sse;
  }

  // Credits, the resume point and whether frames wait go into each touched socket's attachment.
  #afterFanOut(): void {
    for (const ws of this.ctx.getWebSockets()) {
      const conn = this.#conns.get(ws);
      if (conn && !conn.closed && needsSave(conn)) saveConn(ws, conn);
    }
  }

  // A snapshot for message handling; not a getter, so nothing of `env` is reachable over RPC.
  #view(): HubView {
    return { epoch: this.#epoch, seq: this.#seq, ring: this.#ring, db: this.env.DB };
  }

  #conn(ws: WebSocket): Conn | null {
    let conn = this.#conns.get(ws);
    if (!conn) {
      conn = restoreConn(ws, this.#ring, this.#epoch, this.#counters) ?? undefined;
      if (conn) this.#conns.set(ws, conn);
    }
    return conn ?? null;
  }

  #nextSeq(): number {
    this.#seq += 1;
    if (this.#seq > this.#reserved) {
      this.#reserved = this.#seq + SEQ_BLOCK - 1;
      this.ctx.storage.kv.put('seqReserved', this.#reserved);
    }
    return this.#seq;
  }
}
