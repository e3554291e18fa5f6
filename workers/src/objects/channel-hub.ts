import { DurableObject } from 'cloudflare:workers';
import {
  STREAM_CLOSE,
  STREAM_LIMITS,
  STREAM_PROTOCOL_VERSION,
  type StreamClientMessage,
  type StreamEvent,
  type StreamSample,
} from '../../../schema/wire/stream.ts';
import { log } from '../services/log.ts';
import { errorFrame, frame, parseClientFrame } from './channel-hub-protocol.ts';
import {
  addSubscription,
  countProtocolError,
  loadSession,
  newSession,
  saveSession,
  selectSamples,
  subscribedTo,
  type Session,
} from './channel-hub-session.ts';

/** Header the Worker sets on the hub's upgrade request; built fresh there, never copied from a client. */
export const STREAM_ORG_HEADER = 'X-Edgewatch-Stream-Org';

/**
 * The hub's name. Subjects are sharded by org today; a hot org could later be split by
 * site (`org:<org>:site:<site>`), with publishers and subscribers routed by subject prefix.
 */
export const channelHubName = (orgId: string) => `org:${orgId}`;

/** The stub of the ChannelHub serving an org's subjects. */
export function channelHubFor(env: Env, orgId: string): DurableObjectStub<ChannelHub> {
  return env.CHANNEL_HUB.get(env.CHANNEL_HUB.idFromName(channelHubName(orgId)));
}

// Sequence numbers are reserved in blocks so a publish rarely waits on a storage write,
// yet a restarted hub never reissues one.
const SEQ_BLOCK = 1024;

/**
 * Live fan-out for one org: DeviceHubs `publish` durable samples, WebSocket clients
 * subscribe by subject pattern (protocol v1, docs/stream-protocol.md). Sockets use the
 * Hibernation API; each one's subscriptions live in its attachment.
 */
export class ChannelHub extends DurableObject<Env> {
  readonly #epoch: string;
  #seq: number;
  #reserved: number;
  // Compiled sessions, rebuilt lazily from attachments after hibernation.
  readonly #sessions = new WeakMap<WebSocket, Session>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const kv = ctx.storage.kv;
    let epoch = kv.get<string>('epoch');
    if (!epoch) {
      epoch = crypto.randomUUID();
      kv.put('epoch', epoch);
    }
    this.#epoch = epoch;
    this.#seq = this.#reserved = kv.get<number>('seqReserved') ?? 0;
    // Answered by the runtime without waking the hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  /** Accepts an upgrade forwarded by `GET /v1/stream`, for the org named in {@link STREAM_ORG_HEADER}. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return Response.json(
        { error: { code: 'upgrade_required', message: 'expected a WebSocket upgrade' } },
        { status: 426 },
      );
    }
    const orgId = request.headers.get(STREAM_ORG_HEADER);
    const name = this.ctx.id.name;
    if (!orgId || (name !== undefined && name !== channelHubName(orgId))) {
      return Response.json(
        { error: { code: 'bad_request', message: 'upgrade reached the wrong hub' } },
        { status: 400 },
      );
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    const session = newSession(orgId);
    saveSession(server, session);
    this.#sessions.set(server, session);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Sends the samples of one durable batch to every matching subscriber: one data frame per
   * connection with the samples it subscribed to, under one new hub-wide `seq`.
   */
  async publish(samples: StreamSample[]): Promise<void> {
    if (!Array.isArray(samples) || samples.length === 0) return;
    const seq = this.#nextSeq();
    let all: string | undefined;
    for (const ws of this.ctx.getWebSockets()) {
      const session = this.#session(ws);
      if (!session) continue;
      const picked = selectSamples(session, samples);
      if (picked.length === 0) continue;
      // The common case (a dashboard on `org.<org>.**`) shares one serialised frame.
      const text =
        picked.length === samples.length
          ? (all ??= frame({ type: 'data', seq, epoch: this.#epoch, samples }))
          : frame({ type: 'data', seq, epoch: this.#epoch, samples: picked });
      try {
        ws.send(text);
      } catch {
        // Closing sockets throw; their close handler cleans up.
      }
    }
  }

  /** Sends one persisted event to every connection with a subscription matching its subject. */
  async publishEvent(event: StreamEvent): Promise<void> {
    const seq = this.#nextSeq();
    const text = frame({ type: 'event', seq, epoch: this.#epoch, event });
    for (const ws of this.ctx.getWebSockets()) {
      const session = this.#session(ws);
      if (!session || !subscribedTo(session, event.subject)) continue;
      try {
        ws.send(text);
      } catch {
        // Closing sockets throw; their close handler cleans up.
      }
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const session = this.#session(ws);
    if (!session) {
      ws.close(1011, 'connection state lost; reconnect');
      return;
    }
    const parsed = parseClientFrame(message);
    if (parsed.ok) {
      this.#handle(ws, session, parsed.message);
      return;
    }
    ws.send(frame(parsed.error));
    if (countProtocolError(session, Date.now())) {
      ws.close(STREAM_CLOSE.protocolError, 'too many protocol errors');
      return;
    }
    saveSession(ws, session);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#sessions.delete(ws);
    // The Hibernation API leaves the closing handshake to us; 1005/1006/1015 may not be sent.
    try {
      ws.close([1005, 1006, 1015].includes(code) ? 1000 : code, reason);
    } catch {
      // Already closed, or a code we may not echo.
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.#sessions.delete(ws);
    log.warn('stream socket error', { error: error instanceof Error ? error.message : String(error) });
  }

  #handle(ws: WebSocket, session: Session, msg: StreamClientMessage): void {
    switch (msg.type) {
      case 'hello':
        if (msg.v !== STREAM_PROTOCOL_VERSION) {
          ws.send(errorFrame('unsupported_version', `this server speaks protocol v${STREAM_PROTOCOL_VERSION}`));
          ws.close(STREAM_CLOSE.protocolError, 'unsupported protocol version');
          return;
        }
        ws.send(
          frame({
            type: 'welcome',
            v: STREAM_PROTOCOL_VERSION,
            epoch: this.#epoch,
            seq: this.#seq,
            limits: STREAM_LIMITS,
          }),
        );
        if (msg.resume)
          ws.send(errorFrame('unsupported', 'resume is not available in v1: subscribe again and refetch history'));
        return;
      case 'subscribe': {
        const refusal = addSubscription(session, msg);
        if (refusal) {
          ws.send(frame(refusal));
          return;
        }
        saveSession(ws, session);
        ws.send(frame({ type: 'subscribed', id: msg.id, subject: msg.subject }));
        return;
      }
      case 'unsubscribe':
        if (!session.subs.delete(msg.id)) {
          ws.send(errorFrame('unknown_subscription', 'no subscription has this id', msg.id));
          return;
        }
        saveSession(ws, session);
        ws.send(frame({ type: 'unsubscribed', id: msg.id }));
        return;
      case 'ping':
        ws.send(frame({ type: 'pong' }));
        return;
      case 'credit':
        ws.send(errorFrame('unsupported', 'credit-based flow control is not available in v1'));
        return;
    }
  }

  #session(ws: WebSocket): Session | null {
    let session = this.#sessions.get(ws);
    if (!session) {
      session = loadSession(ws) ?? undefined;
      if (session) this.#sessions.set(ws, session);
    }
    return session ?? null;
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
