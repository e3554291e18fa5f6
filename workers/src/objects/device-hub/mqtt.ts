import type { AgentConfigCache } from './agent-config.ts';
import { log } from '../../services/log.ts';
import { getMeta, setMeta } from './store.ts';

/**
 * The DeviceHub's side of MQTT: which MqttSession object holds the device's live connection
 * (one at a time, as MQTT has one session per client), and delivery of config changes to it.
 */

/** Meta key holding the id of the device's current MqttSession object. */
const SESSION_KEY = 'mqttSession';

/** The stub of one connection's MqttSession, from the id string the DeviceHub keeps. */
export function mqttSessionFor(env: Env, sessionId: string) {
  return env.MQTT_SESSION.get(env.MQTT_SESSION.idFromString(sessionId));
}

/**
 * Makes `sessionId` the device's session. A session still attached is told it was taken over
 * and closes without an offline event: the device is online, on its new connection.
 */
export async function attachSession(env: Env, sql: SqlStorage, deviceId: string, sessionId: string): Promise<void> {
  const previous = getMeta<string>(sql, SESSION_KEY);
  setMeta(sql, SESSION_KEY, sessionId);
  if (!previous || previous === sessionId) return;
  try {
    await mqttSessionFor(env, previous).takeover();
  } catch (err) {
    // An old session that cannot be reached is gone already.
    log.warn('mqtt takeover failed', { deviceId, sessionId: previous, error: String(err) });
  }
}

/**
 * Forgets `sessionId` if it is still the device's session. Returns whether it was: only the
 * current session's end means the device went offline.
 */
export function detachSession(sql: SqlStorage, sessionId: string): boolean {
  if (getMeta<string>(sql, SESSION_KEY) !== sessionId) return false;
  sql.exec('DELETE FROM meta WHERE key = ?', SESSION_KEY);
  return true;
}

/**
 * Sends the device's effective config to its attached session, if it has one. A session that
 * answers that it is no longer connected (its object lost the socket) is forgotten.
 */
export async function pushConfig(
  env: Env,
  sql: SqlStorage,
  device: { deviceId: string; orgId: string },
  configs: AgentConfigCache,
): Promise<void> {
  const sessionId = getMeta<string>(sql, SESSION_KEY);
  if (!sessionId) return;
  const update = await configs.get(device);
  let live: boolean;
  try {
    live = await mqttSessionFor(env, sessionId).deliverConfig(update);
  } catch (err) {
    log.warn('mqtt config delivery failed', { deviceId: device.deviceId, sessionId, error: String(err) });
    return;
  }
  if (!live) detachSession(sql, sessionId);
}
