import { hostname } from 'node:os';
import { ConfigError, type AgentConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { AGENT_VERSION } from '../version.ts';
import { createHttpsTransport } from './https.ts';
import type { MqttTransportOptions } from './mqtt.ts';
import type { Transport } from './types.ts';

/**
 * The transport the config names: `https` (default) or `mqtt` (MQTT over WebSocket to the
 * same server, which also pushes config changes, with the host notices, to `onConfig`).
 */
export function createTransport(
  config: AgentConfig,
  options: { log: Logger; onConfig: (payload: { etag?: string; config: unknown; notices?: unknown }) => void },
): Transport {
  if (config.transport === 'mqtt') {
    // The MQTT username is the device id; only enrollment writes it.
    if (!config.deviceId) {
      throw new ConfigError(
        'transport "mqtt" needs deviceId in the config file (written by `edgewatch-agent enroll`); or set "transport": "https"',
      );
    }
    const mqttOptions: MqttTransportOptions = {
      url: config.url,
      deviceId: config.deviceId,
      deviceToken: config.deviceToken,
      ...(config.mqttProtocol ? { protocolVersion: config.mqttProtocol } : {}),
      agent: AGENT_INFO,
      log: options.log,
      onConfig: (config, etag, notices) =>
        options.onConfig({ etag, config, ...(notices === undefined ? {} : { notices }) }),
    };
    // mqtt.js and ws (about 300 KiB of the bundle, in their own chunk) load only for this transport.
    return lazyTransport('mqtt', async () => (await import('./mqtt.ts')).createMqttTransport(mqttOptions));
  }
  return createHttpsTransport({
    url: config.url,
    deviceToken: config.deviceToken,
    agent: AGENT_INFO,
  });
}

// Sent with every batch: a new startedAt tells the Worker this agent (re)started (agent.started event).
const AGENT_INFO = { version: AGENT_VERSION, hostname: hostname(), startedAt: Date.now() };

/** A transport whose module is imported on its first use (connect, send). */
function lazyTransport(name: string, load: () => Promise<Transport>): Transport {
  let loading: Promise<Transport> | undefined;
  const get = () => (loading ??= load());
  return {
    name,
    connect: async () => (await get()).connect(),
    send: async (batch, sendOptions) => (await get()).send(batch, sendOptions),
    close: async () => {
      if (loading) await (await loading).close();
    },
  };
}
