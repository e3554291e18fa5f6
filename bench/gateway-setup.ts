/**
 * The gateway benchmark's setup through the real platform: a site, a gateway enrolled with the
 * site's gateway token, the simulated controllers entered by hand (discovery is off, so nothing
 * but the trend log asks the controllers anything), one trend log of every point, and the agent
 * running in gateway mode. Also the read-back of what the platform accepted, through the export.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Simulator } from '../agent/src/gateway/simulator/index.ts';
import { pointId } from '../agent/src/gateway/t3-profile.ts';
import { GATEWAY_METRICS } from '../schema/wire/gateway.ts';
import { buildAgent } from '../scripts/build.ts';
import { agentProcesses } from '../test/e2e/agent-process.ts';
import type { LocalPlatform } from '../test/e2e/local-platform.ts';
import { adminCall } from '../test/e2e/seed-fleet.ts';
import { ALL_POINTS } from './gateway-baseline.ts';
import type { BenchContext } from './types.ts';

export interface GatewaySetup {
  gatewayId: string;
  trendLogId: string;
  agent: ChildProcess;
  /** The agent's recent output, for failure messages. */
  log(): string;
}

/** Site, gateway, controllers and a trend log of all their points at `intervalSeconds`; then `agent run`. */
export async function setUpGateway(
  ctx: BenchContext,
  platform: LocalPlatform,
  sim: Simulator,
  intervalSeconds: number,
): Promise<GatewaySetup> {
  const call = <T>(method: string, path: string, body?: unknown) => adminCall<T>(platform, method, path, body);
  const site = await call<{ id: string }>('POST', '/v1/sites', {
    name: 'Bench site',
    timeZone: 'UTC',
    discovery: { enabled: false },
  });
  const token = await call<{ token: string }>('POST', '/v1/enrollment-tokens', {
    kind: 'gateway',
    siteId: site.id,
    maxUses: 1,
  });

  const agents = agentProcesses();
  ctx.defer(() => agents.stopAll());
  const config = join(platform.dir, 'gateway.json');
  // MQTT, so a changed trend log reaches the agent at once (https polls its config every 60 s).
  const options = {
    script: await buildAgent(),
    env: { STATE_DIRECTORY: join(platform.dir, 'gateway-state'), EDGEWATCH_TRANSPORT: 'mqtt' },
  };
  const enroll = agents.spawn(
    ['enroll', '--url', platform.url, '--token', token.token, '--name', 'bench-gw', '--config', config],
    options,
  );
  const [code] = (await once(enroll, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`enroll exited with ${code}\n${agents.log()}`);
  const gatewayId = (JSON.parse(await readFile(config, 'utf8')) as { deviceId: string }).deviceId;

  const controllerIds: string[] = [];
  for (const c of sim.controllers) {
    const created = await call<{ id: string }>('POST', `/v1/sites/${site.id}/controllers`, {
      serial: c.serial,
      ip: c.modbus.host,
      port: c.modbus.port,
      modbusId: c.modbusId,
      gatewayDeviceId: gatewayId,
    });
    controllerIds.push(created.id);
  }
  const log = await call<{ id: string }>('POST', '/v1/trend-logs', {
    name: 'Everything',
    siteId: site.id,
    intervalSeconds,
    points: controllerIds.flatMap((controllerId) => ALL_POINTS.map((p) => ({ controllerId, point: pointId(p) }))),
  });

  const agent = agents.spawn(['run', '--config', config], options);
  agent.once('exit', (exit) => {
    if (exit !== null) ctx.log(`  the agent exited with ${exit}: ${agents.log().slice(-2000)}`);
  });
  return { gatewayId, trendLogId: log.id, agent, log: agents.log };
}

export interface ExportRow {
  metric: string;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

/** The gateway's raw samples of `metric` with `from <= ts < to`, as the platform stored them. */
export async function exported(platform: LocalPlatform, gatewayId: string, metric: string, from: number, to: number) {
  const q = new URLSearchParams({
    device: gatewayId,
    metric,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    format: 'ndjson',
    source: 'raw',
  });
  const res = await fetch(`${platform.url}/v1/export?${q}`, {
    headers: { authorization: `Bearer ${platform.seed.apiKey}` },
  });
  if (!res.ok) throw new Error(`export ${metric}: HTTP ${res.status} ${await res.text()}`);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExportRow)
    .filter((r) => r.ts >= from && r.ts < to);
}

/**
 * The window's point values and poll cycles once the agent has shipped them all: read until
 * two reads a second apart agree (the last polls of a window end a second or two before it
 * does, and the agent ships within seconds).
 */
export async function shippedInWindow(platform: LocalPlatform, gatewayId: string, from: number, to: number) {
  const read = async () => ({
    values: await exported(platform, gatewayId, GATEWAY_METRICS.pointValue, from, to),
    cycles: await exported(platform, gatewayId, GATEWAY_METRICS.cycleSeconds, from, to),
  });
  // Polls ending just before `to` are shipped within a second (the shipper lingers 250 ms).
  await sleep(Math.max(0, to + 1_500 - Date.now()));
  let last = await read();
  for (let i = 0; i < 30; i++) {
    await sleep(1_000);
    const next = await read();
    if (next.values.length === last.values.length && next.cycles.length === last.cycles.length) return next;
    last = next;
  }
  return last;
}
