import { recordEvent } from '../../services/events/record.ts';
import { log } from '../../services/log.ts';
import { deviceEventSubject } from '../../services/streams/subjects.ts';
import { deviceHubFor } from '../device-hub/index.ts';
import type { SessionDevice, SessionState } from './state.ts';

/** Records an event about a session's device, with the session id as correlation id. Never throws. */
export async function sessionEvent(
  env: Env,
  s: SessionState,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  const d = s.device!;
  try {
    await recordEvent(env, {
      orgId: d.orgId,
      type,
      subject: deviceEventSubject(d.orgId, d.siteId, d.deviceId, type),
      correlationId: s.id,
      data,
    });
  } catch (err) {
    log.error('mqtt event not recorded', { sessionId: s.id, type, error: String(err) });
  }
}

/**
 * The end of a connected session: it is detached from its DeviceHub, and when it ended for
 * `reason` (anything but a clean DISCONNECT) while still the device's current session, the
 * device is reported offline. A session taken over by a newer connection reports nothing.
 */
export async function finishSession(
  env: Env,
  s: SessionState,
  device: SessionDevice,
  reason: string | null,
  extra: Record<string, unknown>,
): Promise<void> {
  let current = true;
  try {
    current = await deviceHubFor(env, device.deviceId).mqttDetach(s.id);
  } catch (err) {
    // Better an offline event too many than a device shown online for good.
    log.warn('mqtt detach failed', { sessionId: s.id, error: String(err) });
  }
  if (!reason || !current) return;
  const will = device.willTopic ? { willTopic: device.willTopic } : {};
  await sessionEvent(env, s, 'device.offline', { reason, transport: 'mqtt', ...extra, ...will });
}
