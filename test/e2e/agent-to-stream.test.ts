import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamSample } from '../../schema/wire/stream.ts';
import { buildAll } from '../../scripts/build.ts';
import { agentProcesses } from './agent-process.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall } from './seed-fleet.ts';

let platform: LocalPlatform;
const agents = agentProcesses();
const frames: { seq: number; samples: StreamSample[] }[] = [];
let socket: WebSocket;

beforeAll(async () => {
  await buildAll();
  platform = await startLocalPlatform();
  socket = new WebSocket(`${platform.url.replace('http', 'ws')}/v1/stream`, {
    headers: { authorization: `Bearer ${platform.seed.apiKey}` },
  } as unknown as string[]);
  socket.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { type: string; seq: number; samples: StreamSample[] };
    if (msg.type === 'data') frames.push(msg);
  });
  await once(socket as unknown as EventTarget, 'open');
  // Protocol v1 flow control: data frames need credits; 1,000 is more than this test receives.
  socket.send(JSON.stringify({ type: 'hello', v: 1, credits: 1000 }));
  socket.send(
    JSON.stringify({
      type: 'subscribe',
      id: 'all-metrics',
      subject: `org.${platform.seed.orgId}.site.*.device.*.metric.*`,
    }),
  );
});

afterAll(async () => {
  socket?.close();
  await agents.stopAll();
  await platform?.stop();
});

describe('agent → Worker → DeviceHub → D1 → stream', () => {
  it('enrolls, reports for several cycles, and its samples are readable through the API and live on a wildcard subscription', async () => {
    const config = join(platform.dir, 'agent.json');
    // A state folder of its own: the default one is shared by every agent of this user, other runs' included.
    const env = { STATE_DIRECTORY: join(platform.dir, 'state'), EDGEWATCH_INTERVAL: '1' };
    await agents.enroll(platform, 'e2e-host', config, { env });
    expect((await stat(config)).mode & 0o777).toBe(0o600);

    const agent = agents.spawn(['run', '--config', config], { env });

    const { devices } = await agents.until('the device to be online', async () => {
      const body = await adminCall<{ devices: { id: string; name: string; status: string }[] }>(
        platform,
        'GET',
        '/v1/devices',
      );
      return body.devices[0]?.status === 'online' ? body : undefined;
    });
    expect(devices).toHaveLength(1);
    expect(devices[0]!.name).toBe('e2e-host');
    const deviceId = devices[0]!.id;

    // Several collection cycles have to reach the stream, each a separate frame.
    await agents.until('three data frames with CPU', () =>
      frames.filter((f) => f.samples.some((s) => s.metric === 'cpu_usage_percent')).length >= 3 ? true : undefined,
    );
    const seqs = frames.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const cpu = frames.flatMap((f) => f.samples).filter((s) => s.metric === 'cpu_usage_percent');
    expect(cpu.every((s) => s.deviceId === deviceId && s.value >= 0 && s.value <= 100)).toBe(true);
    expect(
      cpu.every((s) => s.subject === `org.${platform.seed.orgId}.site._.device.${deviceId}.metric.cpu_usage_percent`),
    ).toBe(true);

    // The disk collector can take longer than a CPU cycle on a loaded machine: wait for its first reading.
    const wanted = ['cpu_usage_percent', 'load1', 'mem_used_bytes', 'disk_used_bytes'];
    const latest = await agents.until('the latest CPU, load, memory and disk values', async () => {
      const body = await adminCall<{ values: { seriesId: string; metric: string; ts: number }[] }>(
        platform,
        'GET',
        `/v1/devices/${deviceId}/latest`,
      );
      const metrics = new Set(body.values.map((v) => v.metric));
      return wanted.every((m) => metrics.has(m)) ? body : undefined;
    });
    const cpuSeries = latest.values.find((v) => v.metric === 'cpu_usage_percent')!;

    const history = await adminCall<{ points: { ts: number; value: number }[] }>(
      platform,
      'GET',
      `/v1/series/${cpuSeries.seriesId}/history?from=${Date.now() - 600_000}`,
    );
    expect(history.points.length).toBeGreaterThanOrEqual(3);
    // Every streamed CPU sample is also stored: live and stored views agree.
    const stored = new Set(history.points.map((p) => p.ts));
    expect(cpu.filter((s) => s.ts <= history.points.at(-1)!.ts).every((s) => stored.has(s.ts))).toBe(true);

    agent.kill('SIGTERM');
    const [exit] = (await once(agent, 'exit')) as [number | null];
    expect(exit).toBe(0);
  });
});
