/**
 * `npm start -- --demo-site`: a simulated T3000 building site behind a local gateway, so a
 * building operator sees a live site without hardware. Three simulated controllers (Modbus TCP,
 * UDP discovery, BACnet) on loopback; a gateway agent enrolled into a "Demo building" site that
 * discovers them; one trend log of their first points. Everything goes through the public API,
 * as a real gateway would, and is reused on the next start.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { readJson } from './seed.ts';

export interface DemoSiteOptions {
  /** The local Worker. */
  url: string;
  apiKey: string;
  /** The gateway agent's config file, and its state folder relative to it. */
  configPath: string;
  spoolDir: string;
  /** Starts `edgewatch-agent <args>` with its output in `logFile`. */
  spawnAgent(args: string[], logFile: string, env?: Record<string, string>): ChildProcess;
  logFile: string;
  step(message: string): void;
}

export const DEMO_SITE_NAME = 'Demo building';
const TREND_LOG_NAME = 'Demo: zone temperatures and outputs';
/** Points of each controller in the demo trend log: a few of every type. */
const DEMO_POINTS = ['IN1', 'IN2', 'IN3', 'IN4', 'IN5', 'IN6', 'OUT1', 'OUT2', 'OUT3', 'VAR1', 'VAR2', 'VAR3'];
const CONTROLLERS = 3;

/**
 * Starts the simulator and the gateway agent and returns them (the caller stops them). The
 * trend log is created in the background once discovery has reported the controllers.
 */
export async function startDemoSite(options: DemoSiteOptions): Promise<ChildProcess[]> {
  const { step } = options;
  const api = apiClient(options.url, options.apiKey);
  // Answers in 1–2 s: as slow as real hardware at its best, so the first values show within a minute.
  const simulator = options.spawnAgent(
    ['gateway', 'simulate', '--controllers', String(CONTROLLERS), '--delay-ms', '1000-2000', '--json'],
    options.logFile,
  );
  const described = await firstLine(simulator);
  const discovery = /discovery udp [\d.]+:(\d+)/.exec(described.parts.join('\n'));
  if (!discovery) throw new Error(`the simulator did not say where discovery listens: ${described.parts.join('; ')}`);
  step(`simulated T3000 controllers ${described.controllers.map((c) => c.serial).join(', ')} on 127.0.0.1`);

  // The simulator's ports are new each start; discovery at its unicast address finds them again.
  const discoverySettings = {
    enabled: true,
    intervalSeconds: 600,
    targets: [{ host: '127.0.0.1', port: Number(discovery[1]) }],
  };
  const sites = await api<{ sites: { id: string; name: string }[] }>('GET', '/v1/sites');
  let site = sites.sites.find((s) => s.name === DEMO_SITE_NAME);
  if (site) await api('PATCH', `/v1/sites/${site.id}`, { discovery: discoverySettings });
  else {
    site = await api<{ id: string; name: string }>('POST', '/v1/sites', {
      name: DEMO_SITE_NAME,
      address: 'Simulated, on this machine',
      timeZone: 'Europe/Zurich',
      discovery: discoverySettings,
    });
  }

  const existing = await readJson<{ url?: string; deviceId?: string }>(options.configPath);
  if (!existing?.deviceId || existing.url !== options.url) {
    step('enrolling the demo gateway');
    const token = await api<{ token: string }>('POST', '/v1/enrollment-tokens', {
      kind: 'gateway',
      siteId: site.id,
      maxUses: 1,
    });
    const args = ['enroll', '--url', options.url, '--token', token.token, '--name', 'demo-gateway'];
    const enroll = options.spawnAgent(
      [...args, '--config', options.configPath, '--spool-dir', options.spoolDir, '--force'],
      options.logFile,
    );
    const [code] = (await once(enroll, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`demo gateway enrollment failed (exit ${code}); see ${options.logFile}`);
  }
  // Over MQTT the platform pushes each config change (the trend log below) at once.
  const gateway = options.spawnAgent(['run', '--config', options.configPath], options.logFile, {
    EDGEWATCH_TRANSPORT: 'mqtt',
  });
  void ensureTrendLog(api, site.id).catch((err: unknown) =>
    step(`demo trend log not created: ${err instanceof Error ? err.message : String(err)}`),
  );
  return [simulator, gateway];
}

/** Waits for discovery to report the controllers, then creates the trend log unless it exists. */
async function ensureTrendLog(api: ApiCall, siteId: string): Promise<void> {
  const logs = await api<{ trendLogs: { name: string }[] }>('GET', `/v1/trend-logs?siteId=${siteId}`);
  if (logs.trendLogs.some((l) => l.name === TREND_LOG_NAME)) return;
  const deadline = Date.now() + 60_000;
  let controllers: { id: string }[] = [];
  while (Date.now() < deadline) {
    controllers = (await api<{ controllers: { id: string }[] }>('GET', `/v1/sites/${siteId}/controllers`)).controllers;
    if (controllers.length >= CONTROLLERS) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  if (controllers.length === 0) throw new Error('discovery found no controllers within 60 s');
  await api('POST', '/v1/trend-logs', {
    name: TREND_LOG_NAME,
    siteId,
    intervalSeconds: 10,
    points: controllers.flatMap((c) => DEMO_POINTS.map((point) => ({ controllerId: c.id, point }))),
  });
}

type ApiCall = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

function apiClient(url: string, apiKey: string): ApiCall {
  return async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
}

/** The simulator's `--json` description: its first line of output. */
async function firstLine(child: ChildProcess): Promise<{ controllers: { serial: number }[]; parts: string[] }> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the simulator exited (${String(code)}) before starting`);
  });
  const line = (async () => {
    for await (const l of lines) if (l.startsWith('{')) return l;
    throw new Error('the simulator printed no description');
  })();
  return JSON.parse(await Promise.race([line, exited])) as { controllers: { serial: number }[]; parts: string[] };
}
