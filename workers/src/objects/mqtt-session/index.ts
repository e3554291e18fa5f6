import { DurableObject } from 'cloudflare:workers';
import { metered } from '../../services/meter/metered-env.ts';
import { MQTT5_REASON, type MqttConfigMessage } from '../../../../schema/wire/mqtt.ts';
import { ApiError } from '../../errors.ts';
import { concatBytes, encodePacket, messageBytes, splitPackets } from './codec.ts';
import { handlePacket } from './dispatch.ts';
import { finishSession, sessionEvent } from './events.ts';
import { maxIngestBytes } from './publish.ts';
import { isClosed, loadSession, newSession, restoredTail, saveSession, setTail } from './state.ts';
import type { CloseHow, SessionIO, SessionState } from './state.ts';
import { sendConfigUpdate } from './subscribe.ts';

/** A connection must send CONNECT this soon after the upgrade. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Room for a PUBLISH's topic and properties on top of the largest ingest payload. */
const PACKET_OVERHEAD_BYTES = 64 * 1024;
/** WebSocket close codes for the reasons this side ends a connection; 1000 otherwise. */
const WS_CLOSE: Record<string, number> = { protocol_error: 1002, malformed_packet: 1002, packet_too_large: 1009 };

/**
 * One MQTT over WebSocket connection (docs/mqtt.md), on a fresh object per connection: the
 * device is only known once CONNECT has been parsed. It authenticates the device, stores
 * batches through the device's DeviceHub (PUBACK only once durable), answers PINGREQ,
 * delivers config, and reports the device offline when the connection ends without
 * DISCONNECT. Packets of a connection are handled one at a time, in order.
 */
export class MqttSession extends DurableObject<Env> {
  #state: SessionState | null = null;
  // Held-back bytes of an incomplete packet; after hibernation, rebuilt from the attachment.
  #tail: Uint8Array | null = null;
  #queue: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, metered(env, 'MqttSession'));
  }

  /** Accepts the upgrade forwarded by `GET /mqtt`. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new ApiError(426, 'upgrade_required', 'expected a WebSocket upgrade').response();
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    const now = Date.now();
    this.#state = newSession(this.ctx.id.toString(), now);
    this.#tail = new Uint8Array(0);
    saveSession(server, this.#state);
    await this.ctx.storage.setAlarm(now + CONNECT_TIMEOUT_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Sends a changed config to a subscribed device (RPC from its DeviceHub). Returns false when
   * this session no longer has a live connection, so the hub forgets it.
   */
  async deliverConfig(update: MqttConfigMessage): Promise<boolean> {
    const ws = this.#socket();
    const s = ws && this.#load(ws);
    if (!ws || !s || s.phase !== 'connected') return false;
    if (s.subs.config && s.configEtag !== update.etag) {
      sendConfigUpdate(this.#io(ws, s), update, false);
      saveSession(ws, s);
    }
    return true;
  }

  /** The device connected again elsewhere (RPC from its DeviceHub): close without an offline event. */
  async takeover(): Promise<void> {
    const ws = this.#socket();
    const s = ws && this.#load(ws);
    if (ws && s) await this.#close(ws, s, { reason: null, code: MQTT5_REASON.sessionTakenOver });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const run = this.#queue.then(() => this.#receive(ws, message));
    this.#queue = run.catch(() => undefined);
    await run;
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.#queue;
    const s = this.#load(ws);
    if (s) await this.#end(ws, s, 'connection_lost', { wsCode: code, ...(reason ? { wsReason: reason } : {}) });
    try {
      ws.close(1000, 'closed');
    } catch {
      // Already closed.
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    await this.#queue;
    const s = this.#load(ws);
    if (s) await this.#end(ws, s, 'socket_error', { error: error instanceof Error ? error.message : String(error) });
  }

  /** Enforces the CONNECT deadline and the keepalive (1.5 × the client's interval, as MQTT specifies). */
  override async alarm(): Promise<void> {
    const ws = this.#socket();
    const s = ws && this.#load(ws);
    if (!ws || !s || isClosed(s)) return;
    const now = Date.now();
    const deadline =
      s.phase === 'awaiting_connect'
        ? s.openedAt + CONNECT_TIMEOUT_MS
        : s.device && s.device.keepalive > 0
          ? s.lastPacketAt + s.device.keepalive * 1500
          : null;
    if (deadline === null) return;
    if (now < deadline) return this.ctx.storage.setAlarm(deadline);
    const reason = s.phase === 'connected' ? 'keepalive_timeout' : null;
    await this.#close(ws, s, { reason, code: MQTT5_REASON.keepAliveTimeout });
  }

  async #receive(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const s = this.#load(ws);
    if (!s || isClosed(s)) return;
    const bytes = await messageBytes(message as string | ArrayBuffer | Blob);
    // MQTT over WebSocket is binary only; a tail too large to keep across hibernation cannot be resumed.
    const tail = this.#tail ?? restoredTail(s);
    if (!bytes || !tail) return this.#close(ws, s, { reason: 'protocol_error', code: MQTT5_REASON.protocolError });
    s.lastPacketAt = Date.now();
    const framing = splitPackets(concatBytes(tail, bytes), this.#maxPacketBytes());
    if (!framing.ok) {
      const tooLarge = framing.reason === 'too_large';
      const code = tooLarge ? MQTT5_REASON.packetTooLarge : MQTT5_REASON.malformedPacket;
      return this.#close(ws, s, { reason: tooLarge ? 'packet_too_large' : 'malformed_packet', code });
    }
    for (const raw of framing.packets) {
      // A takeover or the close handler may have ended the session while a packet awaited.
      if (isClosed(s)) return;
      await handlePacket(this.#io(ws, s), raw, this.#maxPacketBytes());
    }
    if (isClosed(s)) return;
    this.#tail = framing.rest;
    setTail(s, framing.rest);
    saveSession(ws, s);
  }

  /** Ends the connection from this side: an MQTT 5 DISCONNECT when one is due, then the close. */
  async #close(ws: WebSocket, s: SessionState, how: CloseHow): Promise<void> {
    if (s.phase === 'connected' && s.version === 5 && !how.quiet) {
      this.#sendRaw(ws, encodePacket({ cmd: 'disconnect', reasonCode: how.code }, 5));
    }
    await this.#end(ws, s, how.reason, {});
    try {
      ws.close((how.reason && WS_CLOSE[how.reason]) || 1000, how.reason ?? 'closed');
    } catch {
      // Already closed.
    }
  }

  /** Marks the session over, once; reports the device offline if `reason` and this was its current session. */
  async #end(ws: WebSocket, s: SessionState, reason: string | null, extra: Record<string, unknown>): Promise<void> {
    if (isClosed(s)) return;
    const device = s.phase === 'connected' ? s.device : null;
    s.phase = 'closed';
    try {
      saveSession(ws, s);
    } catch {
      // A socket already gone keeps no attachment; the memory copy is enough from here.
    }
    await this.ctx.storage.deleteAlarm();
    if (device) await finishSession(this.env, s, device, reason, extra);
  }

  #io(ws: WebSocket, s: SessionState): SessionIO {
    return {
      env: this.env,
      s,
      send: (packet) => this.#sendRaw(ws, encodePacket(packet, s.version)),
      close: (how) => this.#close(ws, s, how),
      event: (type, data) => sessionEvent(this.env, s, type, data),
      setAlarm: (at) => (at === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(at)),
    };
  }

  #sendRaw(ws: WebSocket, bytes: Uint8Array): void {
    try {
      ws.send(bytes);
    } catch {
      // The socket is closing; its close handler ends the session.
    }
  }

  #maxPacketBytes(): number {
    return maxIngestBytes(this.env) + PACKET_OVERHEAD_BYTES;
  }

  #socket(): WebSocket | null {
    return this.ctx.getWebSockets()[0] ?? null;
  }

  #load(ws: WebSocket): SessionState | null {
    this.#state ??= loadSession(ws);
    return this.#state;
  }
}
