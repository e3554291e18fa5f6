import {
  STREAM_CLIENT_TYPES,
  STREAM_LIMITS,
  streamClientMessage,
  subscriptionId,
  type ErrorFrame,
  type StreamClientMessage,
  type StreamServerFrame,
} from '../../../../schema/wire/stream.ts';

/**
 * Turning client frames into typed messages, and server frames into text. Pure, so the
 * hub only decides what to do with a message.
 */

/** A refused frame is malformed traffic: it counts towards the 4400 close. */
export type ParsedFrame = { ok: true; message: StreamClientMessage } | { ok: false; error: ErrorFrame };

const encoder = new TextEncoder();

const refuse = (code: ErrorFrame['code'], message: string, ref?: unknown): ParsedFrame => {
  const id = subscriptionId.safeParse(ref);
  return { ok: false, error: { type: 'error', code, message, ...(id.success ? { ref: id.data } : {}) } };
};

/** Parses one WebSocket message into a client message or a typed error. */
export function parseClientFrame(message: string | ArrayBuffer): ParsedFrame {
  if (typeof message !== 'string')
    return refuse('invalid_frame', 'binary frames are not part of the protocol: send JSON text');
  // Cheap bound first: a UTF-8 string takes at most 3 bytes per UTF-16 unit.
  if (
    message.length * 3 > STREAM_LIMITS.maxFrameBytes &&
    encoder.encode(message).length > STREAM_LIMITS.maxFrameBytes
  ) {
    return refuse('frame_too_large', `frames must be at most ${STREAM_LIMITS.maxFrameBytes} bytes`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return refuse('invalid_json', 'frame is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return refuse('invalid_json', 'frame must be a JSON object with a "type"');
  }
  const { type, id } = raw as { type?: unknown; id?: unknown };
  if (typeof type !== 'string' || !(STREAM_CLIENT_TYPES as readonly string[]).includes(type)) {
    return refuse('unknown_type', `"type" must be one of ${STREAM_CLIENT_TYPES.join(', ')}`, id);
  }
  const result = streamClientMessage.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    return refuse('invalid_message', `${type}: ${path ? `${path}: ` : ''}${issue?.message ?? 'invalid'}`, id);
  }
  return { ok: true, message: result.data };
}

/** Serialises a server frame. */
export const frame = (f: StreamServerFrame): string => JSON.stringify(f);

/** Serialises an error frame about a well-formed message (these do not count as abuse). */
export const errorFrame = (code: ErrorFrame['code'], message: string, ref?: ErrorFrame['ref']): string =>
  frame({ type: 'error', code, message, ...(ref !== undefined ? { ref } : {}) });
