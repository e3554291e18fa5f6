/**
 * The agent in gateway mode against a real local platform and the T3000 simulator on loopback:
 * discovery reports create the controllers, trend logs defined in the cloud reach the agent
 * through its remote config (pushed over MQTT) and change what it polls without a restart, and
 * viewers of a site's points (API readers and stream subscribers) cost the controllers nothing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoveryAndBacnetPart, type SitePart } from '../../agent/src/gateway/simulator/discovery-site.ts';
import { startSimulator, type Simulator } from '../../agent/src/gateway/simulator/index.ts';
import { buildAll } from '../../scripts/build.ts';
import { AGENT_BUNDLE, agentProcesses } from './agent-process.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall } from './seed-fleet.ts';

interface PointView {
  point: string;
  seriesId: string | null;
  value: number | null;
  ts: number | null;
  autoManual: string | null;
  analogDigital: string | null;
}
interface ControllerView {
  id: string;
  serial: number;
  port: number;
  status: string;
}

let platform: LocalPlatform;
let sim: Simulator;
let siteId: string;
let gatewayId: string;
let gatewayConfig: string;
let gatewayEnv: Record<string, string>;
const agents = agentProcesses();
const ANSWER_MS = 20;

beforeAll(async () => {
  await buildAll();
  platform = await startLocalPlatform();
  // Two controllers answering in 20 ms, and the discovery responder on a free UDP port.
  sim = await startSimulator({
    controllers: 2,
    delay: { minMs: ANSWER_MS, maxMs: ANSWER_MS },
    parts: [discoveryAndBacnetPart({ bacnet: false })],
  });
  const discoveryPort = (sim.parts[0] as SitePart).discoveryPort;

  // The site asks its gateways to discover at the responder (a routed network: unicast target).
  const site = await adminCall<{ id: string }>(platform, 'POST', '/v1/sites', {
    name: 'Plant room',
    timeZone: 'Europe/Zurich',
    discovery: { enabled: true, intervalSeconds: 600, targets: [{ host: '127.0.0.1', port: discoveryPort }] },
  });
  siteId = site.id;
  const token = await adminCall<{ token: string }>(platform, 'POST', '/v1/enrollment-tokens', {
    kind: 'gateway',
    siteId,
    maxUses: 1,
  });
  const config = (gatewayConfig = join(platform.dir, 'gateway.json'));
  const env = (gatewayEnv = { STATE_DIRECTORY: join(platform.dir, 'gateway-state'), EDGEWATCH_TRANSPORT: 'mqtt' });
  const enroll = agents.spawn(
    ['enroll', '--url', platform.url, '--token', token.token, '--name', 'gw-1', '--config', config],
    { env },
  );
  const [code] = (await once(enroll, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`enroll exited with ${code}\n${agents.log()}`);
  agents.spawn(['run', '--config', config], { env: { ...env, EDGEWATCH_LOG_LEVEL: 'debug' } });
  gatewayId = (JSON.parse(await readFile(config, 'utf8')) as { deviceId: string }).deviceId;
}, 120_000);

afterAll(async () => {
  await agents.stopAll();
  await sim?.close();
  await platform?.stop();
});

const controllers = () =>
  adminCall<{ controllers: ControllerView[] }>(platform, 'GET', `/v1/sites/${siteId}/controllers`).then(
    (b) => b.controllers,
  );
const points = (controllerId: string) =>
  adminCall<{ points: PointView[] }>(platform, 'GET', `/v1/controllers/${controllerId}/points`).then((b) => b.points);

/** A reader's own GET of the points, with a read-only key (the API's rate limit is per key). */
async function readPoints(key: string, controllerId: string): Promise<PointView[]> {
  const res = await fetch(`${platform.url}/v1/controllers/${controllerId}/points`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (!res.ok) throw new Error(`GET points: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { points: PointView[] }).points;
}

/** Simulator requests and the agent's own count (its health samples) must agree: only the agent asks. */
const requestsAt = (i: number) => sim.controllers[i]!.modbus.requests;

describe('gateway mode of the agent', () => {
  let first: ControllerView;
  let trendLogId: string;

  it('reports the controllers its discovery round found; the platform adds them to the site', async () => {
    const found = await agents.until(
      'both simulated controllers to be reported',
      async () => {
        const list = await controllers();
        return list.length === 2 ? list : undefined;
      },
      30_000,
    );
    expect(found.map((c) => c.serial).sort()).toEqual([1001, 1002]);
    expect(found.map((c) => c.port).sort()).toEqual(sim.controllers.map((c) => c.modbus.port).sort());
    first = found.find((c) => c.serial === 1001)!;
    // Nothing is polled before a trend log asks for it.
    expect(requestsAt(0)).toBe(0);
  });

  it('polls the points of a trend log defined in the cloud, and they reach the API with flags', async () => {
    const log = await adminCall<{ id: string }>(platform, 'POST', '/v1/trend-logs', {
      name: 'Supply',
      siteId,
      intervalSeconds: 2,
      points: [
        { controllerId: first.id, point: 'IN1' },
        { controllerId: first.id, point: 'OUT1' },
      ],
    });
    trendLogId = log.id;
    const got = await agents.until(
      'IN1 and OUT1 of controller 1001 to have values',
      async () => {
        const list = await points(first.id);
        const ids = list.filter((p) => p.value !== null).map((p) => p.point);
        return ids.includes('IN1') && ids.includes('OUT1') ? list : undefined;
      },
      30_000,
    );
    const in1 = got.find((p) => p.point === 'IN1')!;
    expect(in1.autoManual).toMatch(/auto|manual/);
    expect(in1.analogDigital).toMatch(/analog|digital/);
    // The other controller is in no trend log: never asked.
    expect(requestsAt(1)).toBe(0);
    const status = await agents.until('controller 1001 to be online', async () => {
      const c = (await controllers()).find((x) => x.id === first.id)!;
      return c.status === 'online' ? c : undefined;
    });
    expect(status.status).toBe('online');

    // `edgewatch-agent status` shows each polled controller's health (the status file, every 5 s).
    const printed = await agents.until(
      'status to show controller 1001 answering',
      async () => {
        const child = spawn(process.execPath, [AGENT_BUNDLE, 'status', '--config', gatewayConfig], {
          env: { ...process.env, ...gatewayEnv },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        await once(child, 'exit');
        return /1001 \(127\.0\.0\.1:\d+ unit 1\): answering/.test(out) ? out : undefined;
      },
      15_000,
    );
    expect(printed).toMatch(/gateway: +1 controller\(s\) polled/);
  });

  it('applies a changed trend log without a restart: new points at the new interval', async () => {
    const pid = agents.pids();
    await adminCall(platform, 'PATCH', `/v1/trend-logs/${trendLogId}`, {
      intervalSeconds: 1,
      points: [
        { controllerId: first.id, point: 'IN1' },
        { controllerId: first.id, point: 'VAR5' },
      ],
    });
    const got = await agents.until(
      'VAR5 to have a value',
      async () => {
        const list = await points(first.id);
        return list.find((p) => p.point === 'VAR5' && p.value !== null) ? list : undefined;
      },
      30_000,
    );
    expect(got.find((p) => p.point === 'VAR5')!.value).not.toBeNull();
    // Every second now: over 6 s, about six polls of one value request each (IN1 and VAR5 are far
    // apart, so two requests a poll; flags are read at their own low rate).
    const before = requestsAt(0);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 6_000));
    const polls = (requestsAt(0) - before) / 2;
    const seconds = (Date.now() - t0) / 1000;
    expect(polls).toBeGreaterThanOrEqual(seconds - 2);
    expect(polls).toBeLessThanOrEqual(seconds + 2);
    // The same process throughout.
    expect(agents.pids()).toEqual(pid);
    expect(agents.log()).toContain('gateway polling');
  });

  it('keeps polling through a platform outage and backfills every point from its spool', async () => {
    const seriesId = await agents.until('IN1 to have a series', async () => {
      const p = (await points(first.id)).find((x) => x.point === 'IN1');
      return p?.seriesId ?? undefined;
    });
    const outageFrom = Date.now();
    await platform.stopWorker();
    // The controller is still read every second while nothing can be shipped.
    const before = requestsAt(0);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(requestsAt(0) - before).toBeGreaterThanOrEqual(6);
    await platform.startWorker();
    const outageTo = Date.now();
    const history = await agents.until(
      'the outage to be backfilled',
      async () => {
        const res = await adminCall<{ points: { ts: number }[] }>(
          platform,
          'GET',
          `/v1/series/${seriesId}/history?from=${outageFrom - 2_000}&to=${outageTo}&source=raw`,
        );
        const last = res.points.at(-1)?.ts ?? 0;
        return last >= outageTo - 2_000 ? res.points : undefined;
      },
      30_000,
    );
    // One value a second throughout: no hole where the platform was down.
    const gaps = history.slice(1).map((p, i) => p.ts - history[i]!.ts);
    expect(Math.max(...gaps)).toBeLessThan(2_500);
    expect(history.length).toBeGreaterThanOrEqual(Math.floor((outageTo - outageFrom) / 1000) - 1);
  }, 60_000);

  it('serves 100 API readers and 50 stream subscribers without one extra controller read', async () => {
    /** Requests controller 1001 answered in `ms`, and the polls the trend log allows in that time. */
    const measure = async (ms: number, during?: (signal: AbortSignal) => Promise<unknown>) => {
      const stop = new AbortController();
      const before = requestsAt(0);
      const t0 = Date.now();
      const load = during?.(stop.signal);
      await new Promise((r) => setTimeout(r, ms));
      stop.abort();
      await load;
      const seconds = (Date.now() - t0) / 1000;
      // One poll a second (two requests: IN1 and VAR5 are far apart); a window holds at most ⌊s⌋+1.
      return { requests: requestsAt(0) - before, seconds, allowed: 2 * (Math.floor(seconds) + 1) };
    };
    const idle = await measure(5_000);

    const sockets: WebSocket[] = [];
    let frames = 0;
    for (let i = 0; i < 50; i++) {
      const ws = new WebSocket(`${platform.url.replace('http', 'ws')}/v1/stream`, {
        headers: { authorization: `Bearer ${platform.seed.apiKey}` },
      } as unknown as string[]);
      ws.addEventListener('message', (ev) => {
        if ((JSON.parse(String(ev.data)) as { type: string }).type === 'data') frames++;
      });
      await once(ws as unknown as EventTarget, 'open');
      ws.send(JSON.stringify({ type: 'hello', v: 1, credits: 10_000 }));
      ws.send(
        JSON.stringify({
          type: 'subscribe',
          id: 'points',
          subject: `org.${platform.seed.orgId}.site.*.device.${gatewayId}.metric.t3_point_value`,
        }),
      );
      sockets.push(ws);
    }
    // 100 readers on 20 read-only keys, five readers a key, within the per-key rate limit.
    const keys: string[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await adminCall<{ key: string }>(platform, 'POST', '/v1/api-keys', {
        name: `viewer ${i}`,
        scopes: ['read'],
      });
      keys.push(created.key);
    }
    let reads = 0;
    const readers = (signal: AbortSignal) =>
      Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          while (!signal.aborted) {
            const list = await readPoints(keys[i % keys.length]!, first.id);
            expect(list.find((p) => p.point === 'IN1')?.value).not.toBeNull();
            reads++;
          }
        }),
      );
    const loaded = await measure(8_000, readers);
    for (const ws of sockets) ws.close();

    console.info(
      `controller 1001: ${idle.requests} requests in ${idle.seconds} s alone, ${loaded.requests} in ${loaded.seconds} s with ${reads} API reads and ${frames} stream frames`,
    );
    expect(reads).toBeGreaterThan(100);
    expect(frames).toBeGreaterThan(50);
    // The controller sees the trend log's rate, viewers or not (two requests a poll, one poll a second).
    expect(idle.requests).toBeLessThanOrEqual(idle.allowed);
    expect(loaded.requests).toBeLessThanOrEqual(loaded.allowed);
  }, 60_000);
});

describe('gateway mode of the agent, BACnet', () => {
  it("reads a trend log's BACnet objects into the gateway's series, and stops when they are removed", async () => {
    const { startBacnetDevice } = await import('../../agent/src/gateway/simulator/bacnet.ts');
    const device = await startBacnetDevice({
      deviceInstance: 3001,
      objects: [{ type: 'analog-value', instance: 7, value: 19.5 }],
    });
    try {
      const pid = agents.pids();
      const controller = await adminCall<{ id: string }>(platform, 'POST', `/v1/sites/${siteId}/controllers`, {
        serial: 3001,
        ip: '127.0.0.1',
        bacnetInstance: 3001,
        bacnetPort: device.port,
        gatewayDeviceId: gatewayId,
      });
      const log = await adminCall<{ id: string }>(platform, 'POST', '/v1/trend-logs', {
        name: 'BACnet',
        siteId,
        intervalSeconds: 1,
        bacnet: [{ controllerId: controller.id, object: 'analog-value:7' }],
      });
      type Latest = { values: { metric: string; labels: Record<string, string>; value: number }[] };
      const value = await agents.until(
        'analog-value:7 of controller 3001 to arrive',
        async () => {
          const latest = await adminCall<Latest>(platform, 'GET', `/v1/devices/${gatewayId}/latest`);
          return latest.values.find(
            (v) =>
              v.metric === 'bacnet_present_value' &&
              v.labels.controller === '3001' &&
              v.labels.object === 'analog-value:7',
          );
        },
        30_000,
      );
      expect(value.value).toBe(19.5);

      await adminCall(platform, 'PATCH', `/v1/trend-logs/${log.id}`, { bacnet: [] });
      // The config reaches the agent over MQTT; then the device is asked no more.
      await agents.until('BACnet polling to stop', async () => {
        const before = device.requests;
        await new Promise((r) => setTimeout(r, 2_500));
        return device.requests === before ? true : undefined;
      });
      expect(agents.pids()).toEqual(pid);
    } finally {
      await device.close();
    }
  }, 60_000);
});
