import { agentConfigAnswer, type AgentConfigAnswer } from '../../services/agents/config.ts';
import { AGENT_CONFIG_CACHE_MS } from '../../time.ts';
import { getMeta, setMeta } from './store.ts';

/**
 * The device's effective agent config and host notices, kept in its DeviceHub. An HTTPS agent
 * polls every minute by default: answered from D1 that is three statements a poll, 180 per
 * device-hour, which alone would put D1 far past its rate at a fleet's size. Every change of
 * what the answer holds (org or device config, a gateway's controllers, a new notice) already
 * calls the hub's `configChanged()` for the MQTT push, and that drops the copy; the age bound
 * is a backstop for a change that would not.
 */

const KEY = 'agentConfig';

interface Cached {
  at: number;
  value: AgentConfigAnswer;
}

export class AgentConfigCache {
  /** Bumped by every change, so a load that began before one does not store its older answer. */
  private generation = 0;
  private readonly env: Env;
  private readonly sql: SqlStorage;

  constructor(env: Env, sql: SqlStorage) {
    this.env = env;
    this.sql = sql;
  }

  async get(device: { deviceId: string; orgId: string }, now = Date.now()): Promise<AgentConfigAnswer> {
    const hit = getMeta<Cached>(this.sql, KEY);
    if (hit && now - hit.at >= 0 && now - hit.at < AGENT_CONFIG_CACHE_MS) return hit.value;
    const generation = this.generation;
    const value = await agentConfigAnswer(this.env, device.orgId, device.deviceId);
    if (generation === this.generation) setMeta(this.sql, KEY, { at: now, value } satisfies Cached);
    return value;
  }

  /** What the answer holds changed: the next read loads it again. */
  forget(): void {
    this.generation++;
    this.sql.exec('DELETE FROM meta WHERE key = ?', KEY);
  }
}
