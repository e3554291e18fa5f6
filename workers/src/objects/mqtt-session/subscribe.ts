import type { ISubackPacket, ISubscribePacket, IUnsubackPacket, IUnsubscribePacket } from 'mqtt-packet';
import {
  MQTT4_SUBACK_FAILURE,
  MQTT5_REASON,
  mqttTopics,
  type MqttConfigMessage,
} from '../../../../schema/wire/mqtt.ts';
import { deviceHubFor } from '../device-hub/index.ts';
import { log } from '../../services/log.ts';
import type { SessionIO, SessionState } from './state.ts';

/** Handles a SUBSCRIBE: the SUBACK, then the current config when the config topic was subscribed. */
export async function handleSubscribe(io: SessionIO, packet: ISubscribePacket): Promise<void> {
  const { suback, sendConfig } = subscribeReply(io.s, packet);
  io.send(suback);
  if (!sendConfig) return;
  const device = io.s.device!;
  try {
    // The device's hub keeps the answer (as for an HTTPS poll), so a reconnect costs D1 nothing.
    sendConfigUpdate(
      io,
      await deviceHubFor(io.env, device.deviceId).agentConfigAnswer({ deviceId: device.deviceId, orgId: device.orgId }),
      true,
    );
  } catch (err) {
    // The next change is pushed, and HTTPS polling still works; the subscription stands.
    log.warn('mqtt config lookup failed', { sessionId: io.s.id, error: String(err) });
  }
}

/**
 * Publishes `{etag, config, notices}` on the config topic at QoS 0. `retained` marks the copy sent on
 * subscribe, as a broker marks a retained message; live changes go out unmarked.
 */
export function sendConfigUpdate(io: SessionIO, update: MqttConfigMessage, retained: boolean): void {
  const topic = mqttTopics(io.s.device!.deviceId).config;
  const { etag, config, notices } = update;
  const payload = JSON.stringify({ etag, config, notices } satisfies MqttConfigMessage);
  io.send({ cmd: 'publish', topic, payload, qos: 0, retain: retained, dup: false });
  io.s.configEtag = update.etag;
}

/**
 * Applies a SUBSCRIBE: only the device's own config and errors topics exist, granted at QoS 0
 * (the Worker sends them at QoS 0: config is re-sent on every subscribe, errors are advisory).
 * Anything else is refused in its SUBACK entry. `sendConfig` says whether to send the current
 * config now, as a broker sends a retained message to a new subscription (MQTT 5 retain
 * handling 2 opts out).
 */
export function subscribeReply(
  s: SessionState,
  packet: ISubscribePacket,
): { suback: ISubackPacket; sendConfig: boolean } {
  const topics = mqttTopics(s.device!.deviceId);
  const refused = s.version === 5 ? MQTT5_REASON.notAuthorized : MQTT4_SUBACK_FAILURE;
  let sendConfig = false;
  const granted = packet.subscriptions.map((sub) => {
    if (sub.topic === topics.config) {
      s.subs.config = true;
      if (sub.rh !== 2) sendConfig = true;
      return 0;
    }
    if (sub.topic === topics.errors) {
      s.subs.errors = true;
      return 0;
    }
    return refused;
  });
  return { suback: { cmd: 'suback', messageId: packet.messageId ?? 0, granted }, sendConfig };
}

/** Applies an UNSUBSCRIBE. */
export function unsubscribeReply(s: SessionState, packet: IUnsubscribePacket): IUnsubackPacket {
  const topics = mqttTopics(s.device!.deviceId);
  const granted = packet.unsubscriptions.map((topic) => {
    if (topic === topics.config && s.subs.config) {
      s.subs.config = false;
      s.configEtag = null;
      return 0;
    }
    if (topic === topics.errors && s.subs.errors) {
      s.subs.errors = false;
      return 0;
    }
    // MQTT 5 "no subscription existed"; 3.1.1 UNSUBACKs carry no codes.
    return 0x11;
  });
  return { cmd: 'unsuback', messageId: packet.messageId ?? 0, granted };
}
