import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import { MQTT4_CONNACK, MQTT5_REASON } from '../../../../schema/wire/mqtt.ts';
import { sha256Hex } from '../../services/credentials/crypto.ts';
import { log } from '../../services/log.ts';
import { parseDeviceToken } from '../../services/credentials/tokens.ts';
import { deviceHubFor } from '../device-hub/index.ts';
import { text, type MqttVersion } from './codec.ts';
import type { SessionDevice, SessionIO } from './state.ts';

/**
 * Handles the CONNECT: on valid credentials the session becomes the device's (taking over an
 * older one), is acknowledged, its keepalive armed and `device.online` recorded; otherwise it
 * is refused with the matching code and closed.
 */
export async function handleConnect(io: SessionIO, packet: IConnectPacket, maxPacketBytes: number): Promise<void> {
  const { s } = io;
  const check = await checkConnect(io.env, packet);
  if (!check.ok) {
    io.send(connackRefused(s.version, check.refusal));
    log.info('mqtt connect refused', { sessionId: s.id, refusal: check.refusal, username: packet.username ?? null });
    return io.close({ reason: null, code: 0, quiet: true });
  }
  const device = check.device;
  try {
    await deviceHubFor(io.env, device.deviceId).mqttAttach(s.id);
  } catch (err) {
    log.error('mqtt attach failed', { sessionId: s.id, deviceId: device.deviceId, error: String(err) });
    io.send(connackRefused(s.version, 'unavailable'));
    return io.close({ reason: null, code: 0, quiet: true });
  }
  s.device = device;
  s.phase = 'connected';
  io.send(connackAccepted(s.version, maxPacketBytes));
  // MQTT: the server may close a client silent for 1.5 times its keepalive.
  await io.setAlarm(device.keepalive > 0 ? Date.now() + device.keepalive * 1500 : null);
  await io.event('device.online', { transport: 'mqtt', protocolVersion: s.version, clientId: device.clientId });
}

/** Why a CONNECT was refused; each maps to a 3.1.1 return code and an MQTT 5 reason code. */
export type ConnectRefusal = 'bad_credentials' | 'not_authorized' | 'unavailable';

export type ConnectCheck = { ok: true; device: SessionDevice } | { ok: false; refusal: ConnectRefusal };

/**
 * Checks a CONNECT's credentials: username = the device id, password = the device token
 * (`ewd.<deviceId>.<secret>`), verified by that device's DeviceHub like an HTTPS request.
 * Missing, malformed or mismatched credentials are `bad_credentials`; a well-formed token the
 * hub does not accept (unknown or revoked) is `not_authorized`.
 */
export async function checkConnect(env: Env, packet: IConnectPacket): Promise<ConnectCheck> {
  const username = packet.username ?? '';
  const token = text(packet.password as Uint8Array | undefined);
  const parsed = parseDeviceToken(token);
  if (!parsed || parsed.deviceId !== username) return { ok: false, refusal: 'bad_credentials' };
  const tokenHash = await sha256Hex(token);
  let identity: { orgId: string; siteId: string | null } | null;
  try {
    identity = await deviceHubFor(env, parsed.deviceId).authenticate(parsed.deviceId, tokenHash);
  } catch (err) {
    log.error('mqtt authentication failed', { deviceId: parsed.deviceId, error: String(err) });
    return { ok: false, refusal: 'unavailable' };
  }
  if (!identity) return { ok: false, refusal: 'not_authorized' };
  return {
    ok: true,
    device: {
      deviceId: parsed.deviceId,
      orgId: identity.orgId,
      siteId: identity.siteId,
      tokenHash,
      clientId: packet.clientId.slice(0, 128),
      keepalive: packet.keepalive ?? 0,
      willTopic: packet.will?.topic.slice(0, 256) ?? null,
    },
  };
}

const REFUSAL_CODES: Record<ConnectRefusal, { v4: number; v5: number }> = {
  bad_credentials: { v4: MQTT4_CONNACK.badUsernameOrPassword, v5: MQTT5_REASON.badUserNameOrPassword },
  not_authorized: { v4: MQTT4_CONNACK.notAuthorized, v5: MQTT5_REASON.notAuthorized },
  unavailable: { v4: MQTT4_CONNACK.serverUnavailable, v5: MQTT5_REASON.serverUnavailable },
};

/** The CONNACK refusing a connection, in the client's version. */
export function connackRefused(version: MqttVersion, refusal: ConnectRefusal): IConnackPacket {
  const code = REFUSAL_CODES[refusal];
  return version === 5
    ? { cmd: 'connack', sessionPresent: false, reasonCode: code.v5, properties: { reasonString: refusal } }
    : { cmd: 'connack', sessionPresent: false, returnCode: code.v4 };
}

/** A 3.1.1 CONNACK for a protocol level the Worker does not speak (any level but 4 and 5). */
export const connackBadVersion: IConnackPacket = {
  cmd: 'connack',
  sessionPresent: false,
  returnCode: MQTT4_CONNACK.unacceptableProtocolVersion,
};

/**
 * The CONNACK accepting a connection. There is never a stored session: the Worker keeps no
 * messages for offline clients (batches are the agent's to resend). MQTT 5 clients are told
 * what is not available rather than discovering it by refusal.
 */
export function connackAccepted(version: MqttVersion, maxPacketBytes: number): IConnackPacket {
  if (version === 4) return { cmd: 'connack', sessionPresent: false, returnCode: 0 };
  return {
    cmd: 'connack',
    sessionPresent: false,
    reasonCode: 0,
    properties: {
      maximumQoS: 1,
      maximumPacketSize: maxPacketBytes,
      wildcardSubscriptionAvailable: false,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
    },
  };
}
