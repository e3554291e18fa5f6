import type { Packet } from 'mqtt-packet';
import type { MqttVersion } from './codec.ts';

/** The device behind a session, set by a successful CONNECT. */
export interface SessionDevice {
  deviceId: string;
  orgId: string;
  siteId: string | null;
  /** SHA-256 of the device token, re-checked by the DeviceHub on every ingest. */
  tokenHash: string;
  clientId: string;
  /** Seconds; 0 turns the keepalive check off. */
  keepalive: number;
  /** The will's topic, reported in the offline event; the Worker publishes wills nowhere else. */
  willTopic: string | null;
}

/**
 * One connection's state. It lives in memory and in the socket's attachment (≤ 16 KB), so a
 * hibernated session wakes up knowing its device, version and subscriptions.
 */
export interface SessionState {
  /** The MqttSession object's id: the correlation id of the session's events. */
  id: string;
  phase: 'awaiting_connect' | 'connected' | 'closed';
  openedAt: number;
  lastPacketAt: number;
  version: MqttVersion;
  device: SessionDevice | null;
  subs: { config: boolean; errors: boolean };
  /** ETag of the config last sent, so an unchanged config is not sent again. */
  configEtag: string | null;
  /** Length of an incomplete packet's bytes held back for the next frame. */
  tailBytes: number;
  /** Those bytes, base64, when small enough for the attachment. */
  tail: string | null;
}

/** A held-back tail larger than this stays in memory only (see {@link restoredTail}). */
const MAX_ATTACHED_TAIL = 8 * 1024;

export function newSession(id: string, now: number): SessionState {
  return {
    id,
    phase: 'awaiting_connect',
    openedAt: now,
    lastPacketAt: now,
    version: 4,
    device: null,
    subs: { config: false, errors: false },
    configEtag: null,
    tailBytes: 0,
    tail: null,
  };
}

export function saveSession(ws: WebSocket, s: SessionState): void {
  ws.serializeAttachment(s);
}

export function loadSession(ws: WebSocket): SessionState | null {
  const s = ws.deserializeAttachment() as SessionState | null;
  return s && typeof s.id === 'string' ? s : null;
}

/** Records the held-back bytes on the state; large ones only by length. */
export function setTail(s: SessionState, tail: Uint8Array): void {
  s.tailBytes = tail.length;
  s.tail = tail.length > 0 && tail.length <= MAX_ATTACHED_TAIL ? toBase64(tail) : null;
}

/** The held-back bytes after a wake-up, or null when they were too large to keep. */
export function restoredTail(s: SessionState): Uint8Array | null {
  if (s.tailBytes === 0) return new Uint8Array(0);
  return s.tail === null ? null : fromBase64(s.tail);
}

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
}

/** How this side ends a connection: `reason` non-null makes it an offline event. */
export interface CloseHow {
  reason: string | null;
  /** MQTT 5 DISCONNECT reason code, sent first unless `quiet` (or before CONNACK). */
  code: number;
  quiet?: boolean;
}

/** What the packet handlers may do to their connection. */
export interface SessionIO {
  readonly env: Env;
  readonly s: SessionState;
  send(packet: Packet): void;
  close(how: CloseHow): Promise<void>;
  /** Records an event about the session's device; never throws. */
  event(type: string, data: Record<string, unknown>): Promise<void>;
  /** Arms the keepalive alarm, or clears it with null. */
  setAlarm(at: number | null): Promise<void>;
}

/** Whether the session ended; a function, so checks after an await are not narrowed away. */
export const isClosed = (s: SessionState) => s.phase === 'closed';
