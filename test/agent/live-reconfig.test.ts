import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_CONFIG, type RemoteAgentConfig } from '../../schema/wire/agent-config.ts';
import { startAgent, type RunningAgent } from '../../agent/src/agent.ts';
import { loadConfig } from '../../agent/src/config.ts';
import { createLogger } from '../../agent/src/log.ts';
import { createMemorySpool } from '../../agent/src/spool/memory.ts';
import type { AgentStatus } from '../../agent/src/status-file.ts';
import { startConfigServer, type ConfigServer } from './helpers/config-server.ts';
import { until } from './helpers/http-server.ts';

let dir: string;
let server: ConfigServer | undefined;
let agent: RunningAgent | undefined;
let tcp: Server | undefined;
const logs: { msg: string; [k: string]: unknown }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-live-'));
  logs.length = 0;
});
afterEach(async () => {
  await agent?.stop({ flushMs: 0 });
  agent = undefined;
  await server?.close();
  server = undefined;
  await new Promise((r) => (tcp ? tcp.close(r) : r(undefined)));
  tcp = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(initial: RemoteAgentConfig) {
  server = await startConfigServer(initial);
  const env = {
    XDG_CONFIG_HOME: dir,
    EDGEWATCH_URL: server.url,
    EDGEWATCH_TOKEN: 'ewd.test',
    EDGEWATCH_SPOOL_DIR: dir,
    EDGEWATCH_INTERVAL: '1',
  };
  const { config } = await loadConfig({ env });
  const log = createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l)) });
  agent = await startAgent(config, { log, spool: createMemorySpool(), configPollMs: 150, statusIntervalMs: 200 });
  return agent;
}

const running = (a: RunningAgent) => Object.fromEntries(a.scheduler.collectors().map((c) => [c.name, c.intervalMs]));

describe('remote config on a running agent', () => {
  it('starts a new TCP probe, changes an interval and disables a collector without a restart', async () => {
    tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp!.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as AddressInfo).port;
    const a = await start({ ...DEFAULT_AGENT_CONFIG, ntp: { server: '127.0.0.1', port: 9 } });
    expect(running(a)).toMatchObject({ cpu: 1_000, load: 1_000, ntp: 300_000 });
    expect(running(a).probes).toBeUndefined();
    await until('load samples', () => server!.samples().find((s) => s.metric === 'load1'));

    const cpuRunner = a.scheduler.collectors().find((c) => c.name === 'cpu')!.collect;
    server!.config = {
      ...DEFAULT_AGENT_CONFIG,
      ntp: { server: '127.0.0.1', port: 9 },
      intervals: { cpu: 2 },
      disabled: ['load'],
      probes: [{ type: 'tcp', name: 'local-db', host: '127.0.0.1', port }],
    };
    const probe = await until('a probe sample from the new probe', () =>
      server!.samples().find((s) => s.metric === 'probe_up' && s.labels?.probe === 'local-db'),
    );
    expect(probe.value).toBe(1);
    expect(probe.labels).toEqual({ probe: 'local-db', type: 'tcp' });
    expect(running(a)).toMatchObject({ cpu: 2_000, probes: 30_000 });
    expect(running(a).load).toBeUndefined();
    // The CPU collector was rescheduled, not recreated: its baseline survives.
    expect(a.scheduler.collectors().find((c) => c.name === 'cpu')!.collect).toBe(cpuRunner);

    const applied = logs.find((l) => l.msg === 'remote config applied')!;
    expect(applied).toMatchObject({ started: ['probes'], stopped: ['load'], rescheduled: ['cpu'] });

    // No load samples once the change is in: wait two of its former intervals.
    const count = () => server!.samples().filter((s) => s.metric === 'load1').length;
    const before = count();
    await new Promise((r) => setTimeout(r, 2_200));
    expect(count()).toBe(before);
  }, 20_000);

  it('keeps its config on a 304 and writes the ETag into the status file', async () => {
    const a = await start({ ...DEFAULT_AGENT_CONFIG, disabled: ['ntp'] });
    await until('three config polls', () => (server!.configRequests().length >= 3 ? true : undefined));
    const polls = server!.configRequests();
    expect(polls.slice(1).every((r) => r.headers['if-none-match'] === a.poller.current()?.etag)).toBe(true);
    expect(logs.filter((l) => l.msg === 'remote config applied' || l.msg === 'remote config loaded')).toHaveLength(1);

    const status = await until('a status file with the config', async () => {
      const s = JSON.parse(await readFile(join(dir, 'status.json'), 'utf8').catch(() => 'null')) as AgentStatus | null;
      return s?.config.etag ? s : undefined;
    });
    expect(status).toMatchObject({ pid: process.pid, url: server!.url, transport: 'https' });
    expect(status.config).toMatchObject({ source: 'poll', etag: a.poller.current()?.etag });
    expect(status.collectors.map((c) => c.name)).not.toContain('ntp');
  });
});
