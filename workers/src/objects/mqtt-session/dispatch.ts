import { MQTT5_REASON } from '../../../../schema/wire/mqtt.ts';
import { connectLevel, decodePacket } from './codec.ts';
import { connackBadVersion, handleConnect } from './connect.ts';
import { handlePublish } from './publish.ts';
import type { SessionIO } from './state.ts';
import { handleSubscribe, unsubscribeReply } from './subscribe.ts';

/**
 * Handles one whole packet of a connection. Before CONNECT only CONNECT is accepted, at
 * protocol level 4 or 5 (a 3.1.1 CONNACK with return code 1 answers any other level); after
 * it, everything but CONNECT, QoS 2 flows and AUTH, which end the connection.
 */
export async function handlePacket(io: SessionIO, raw: Uint8Array, maxPacketBytes: number): Promise<void> {
  const { s } = io;
  if (s.phase === 'awaiting_connect') {
    // Read before parsing: mqtt-packet refuses levels it does not know, and the answer depends on it.
    const level = raw[0]! >> 4 === 1 ? connectLevel(raw) : undefined;
    if (level === undefined) return io.close({ reason: null, code: 0 });
    if (level !== 4 && level !== 5) {
      io.send(connackBadVersion);
      return io.close({ reason: null, code: 0 });
    }
    s.version = level;
  }
  const packet = decodePacket(raw, s.version);
  if (packet instanceof Error) return io.close({ reason: 'malformed_packet', code: MQTT5_REASON.malformedPacket });
  if (s.phase === 'awaiting_connect' || packet.cmd === 'connect') {
    // Anything before CONNECT, or a second CONNECT, is a protocol violation [MQTT-3.1.0-1, -2].
    if (packet.cmd !== 'connect' || s.phase !== 'awaiting_connect') {
      return io.close({ reason: 'protocol_error', code: MQTT5_REASON.protocolError });
    }
    return handleConnect(io, packet, maxPacketBytes);
  }
  switch (packet.cmd) {
    case 'publish':
      return handlePublish(io, packet);
    case 'pingreq':
      return io.send({ cmd: 'pingresp' });
    case 'subscribe':
      return handleSubscribe(io, packet);
    case 'unsubscribe':
      return io.send(unsubscribeReply(s, packet));
    case 'disconnect': {
      // MQTT 5 reason 0x04 asks for the will: the device is gone, as after a lost connection.
      const withWill = s.version === 5 && packet.reasonCode === 0x04;
      return io.close({ reason: withWill ? 'disconnect_with_will' : null, code: 0, quiet: true });
    }
    case 'puback':
      // Config goes out at QoS 0; a stray PUBACK needs no answer.
      return;
    default:
      // QoS 2 flows and AUTH are not offered (CONNACK says maximum QoS 1).
      return io.close({ reason: 'protocol_error', code: MQTT5_REASON.protocolError });
  }
}
