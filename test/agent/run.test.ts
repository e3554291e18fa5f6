import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startConfigServer } from './helpers/config-server.ts';
import { closedPort, samplesOf, until } from './helpers/http-server.ts';
import { isolatedEnv, runCli, startCli } from './helpers/run-cli.ts';
import { cliSandbox } from './helpers/cli-sandbox.ts';

const sb = cliSandbox();

describe('edgewatch-agent run', () => {
  it('ships host metrics and exits 0 after flushing on SIGTERM', async () => {
    const server = await startConfigServer();
    sb.server = server;
    const env = {
      ...isolatedEnv(sb.dir),
      EDGEWATCH_URL: server.url,
      EDGEWATCH_TOKEN: 'ewd.test',
      EDGEWATCH_INTERVAL: '1',
    };
    const agent = startCli(['run'], env);
    sb.children.push(agent.child);
    const ingests = () => server.requests.filter((r) => r.path === '/v1/ingest');
    const cpuBatch = await until(
      'a batch with cpu_usage_percent',
      () => ingests().find((r) => samplesOf(r.json).some((s) => s.metric === 'cpu_usage_percent')),
      15_000,
    );
    const cpu = samplesOf(cpuBatch.json).find((s) => s.metric === 'cpu_usage_percent')!;
    expect(cpu.value).toBeGreaterThanOrEqual(0);
    expect(cpu.value).toBeLessThanOrEqual(100);
    expect(cpu.labels).toBeUndefined();
    expect(cpuBatch.headers.authorization).toBe('Bearer ewd.test');

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const logs = agent.out.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; pendingSamples?: number });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['agent started', 'stopping', 'agent stopped']));
    expect(logs.find((l) => l.msg === 'agent stopped')?.pendingSamples).toBe(0);
    // Every batch is distinct: nothing was sent twice to a server that always acknowledged.
    const ids = ingests().map((r) => (r.json as { batchId: string }).batchId);
    expect(new Set(ids).size).toBe(ids.length);
  }, 30_000);

  it('refuses a bad interval, naming it, with exit status 78', async () => {
    const env = {
      ...isolatedEnv(sb.dir),
      EDGEWATCH_URL: 'http://127.0.0.1:9',
      EDGEWATCH_TOKEN: 't',
      EDGEWATCH_INTERVAL: '0.5',
    };
    const { code, stderr } = await runCli(['run'], env);
    expect(code).toBe(78);
    expect(stderr).toContain('EDGEWATCH_INTERVAL="0.5"');
    expect(stderr).toContain('example: EDGEWATCH_INTERVAL=10');
  });

  it('keeps what it could not ship in the disk spool and ships it after a restart', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const env = { ...isolatedEnv(sb.dir), EDGEWATCH_URL: down, EDGEWATCH_TOKEN: 'ewd.test', EDGEWATCH_INTERVAL: '1' };
    const offline = startCli(['run'], env);
    sb.children.push(offline.child);
    await until(
      'samples in the spool',
      async () => {
        const status = await runCli(['status', '--json'], env);
        return (JSON.parse(status.stdout) as { spool?: { pendingSamples: number } }).spool?.pendingSamples
          ? true
          : undefined;
      },
      15_000,
    );
    const stoppedAt = Date.now();
    offline.child.kill('SIGTERM');
    expect(await offline.exited).toBe(0);
    expect(offline.out.stderr).toContain('samples not shipped before exit; kept in the spool');

    const server = await startConfigServer();
    sb.server = server;
    const online = startCli(['run'], { ...env, EDGEWATCH_URL: server.url });
    sb.children.push(online.child);
    const backfilled = await until(
      'samples from before the restart',
      () => server.samples().find((s) => s.metric === 'cpu_usage_percent' && s.ts < stoppedAt),
      15_000,
    );
    expect(backfilled.value).toBeGreaterThanOrEqual(0);
    online.child.kill('SIGTERM');
    expect(await online.exited).toBe(0);
  }, 40_000);

  it('refuses transport mqtt without a device id, with exit status 78', async () => {
    const env = {
      ...isolatedEnv(sb.dir),
      EDGEWATCH_URL: 'http://127.0.0.1:9',
      EDGEWATCH_TOKEN: 't',
      EDGEWATCH_TRANSPORT: 'mqtt',
    };
    const { code, stderr } = await runCli(['run'], env);
    expect(code).toBe(78);
    expect(stderr).toContain('transport "mqtt" needs deviceId');
  });

  it('names a spool directory it cannot create, with exit status 78', async () => {
    // Under a regular file: refused even for root (a read-only directory is not, and Node's
    // recursive mkdir never settles under /proc).
    const file = join(sb.dir, 'a-file');
    await writeFile(file, '');
    const env = {
      ...isolatedEnv(sb.dir),
      EDGEWATCH_URL: 'http://127.0.0.1:9',
      EDGEWATCH_TOKEN: 't',
      EDGEWATCH_SPOOL_DIR: join(file, 'spool'),
    };
    const { code, stderr } = await runCli(['run'], env);
    expect(code).toBe(78);
    expect(stderr).toContain(`cannot use spool directory ${join(file, 'spool')} (ENOTDIR)`);
    expect(stderr).toContain('EDGEWATCH_SPOOL_DIR=');
  });
});
