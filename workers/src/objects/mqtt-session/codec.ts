import { generate, parser, type Packet } from 'mqtt-packet';

/** MQTT protocol levels the Worker speaks: 3.1.1 and 5. */
export type MqttVersion = 4 | 5;

/** Splitting a byte stream into whole MQTT packets, before any of them is parsed. */
export type Framing =
  | { ok: true; packets: Uint8Array[]; rest: Uint8Array }
  | { ok: false; reason: 'malformed' | 'too_large'; size?: number };

/**
 * Cuts `bytes` into complete packets by their fixed header, keeping an incomplete tail in
 * `rest`. Whole packets only ever reach the parser, so no parser state has to outlive a frame
 * (or a hibernation): the tail is all there is to keep.
 */
export function splitPackets(bytes: Uint8Array, maxPacketBytes: number): Framing {
  const packets: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length = 0;
    let multiplier = 1;
    let i = at + 1;
    let complete = false;
    // Remaining Length: 1 to 4 bytes, 7 bits each, high bit = "more".
    for (let n = 0; n < 4 && i < bytes.length; n++, i++) {
      const b = bytes[i]!;
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) {
        complete = true;
        i++;
        break;
      }
      if (n === 3) return { ok: false, reason: 'malformed' };
    }
    if (!complete) break;
    const size = i - at + length;
    if (size > maxPacketBytes) return { ok: false, reason: 'too_large', size };
    if (at + size > bytes.length) break;
    packets.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { ok: true, packets, rest: bytes.slice(at) };
}

/** Parses one whole packet; `version` decides how properties are read (MQTT 5 only). */
export function decodePacket(bytes: Uint8Array, version: MqttVersion): Packet | Error {
  const p = parser({ protocolVersion: version });
  let packet: Packet | undefined;
  let error: Error | undefined;
  p.on('packet', (pk) => (packet ??= pk));
  p.on('error', (err: unknown) => (error ??= err instanceof Error ? err : new Error(String(err))));
  p.parse(bytes as never);
  return error ?? packet ?? new Error('incomplete packet');
}

/** Serialises a packet for the session's protocol version. */
export function encodePacket(packet: Packet, version: MqttVersion): Uint8Array {
  return generate(packet, { protocolVersion: version });
}

/** The protocol level a CONNECT asks for, read before parsing: the parser refuses unknown ones. */
export function connectLevel(bytes: Uint8Array): number | undefined {
  // Fixed header, Remaining Length, then the protocol name ("MQTT": 2 + 4 bytes), then the level.
  let i = 1;
  while (i < bytes.length && i < 5 && (bytes[i]! & 0x80) !== 0) i++;
  const nameLength = ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
  return bytes[i + 3 + nameLength];
}

/** UTF-8 text of a payload or password, whichever form the parser gave it in. */
export function text(value: Uint8Array | string | undefined | null): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : new TextDecoder().decode(value);
}

/** Bytes of a WebSocket message: binary frames arrive as ArrayBuffer, or as Blob in some runtimes. */
export async function messageBytes(message: string | ArrayBuffer | Blob): Promise<Uint8Array | null> {
  if (typeof message === 'string') return null;
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  return new Uint8Array(await message.arrayBuffer());
}

/** Joins a kept tail with the next frame. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
