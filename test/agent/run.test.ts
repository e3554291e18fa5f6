import { describe, expect, it } from 'vitest';
import { ack, startServer, until } from './helpers/http-server.ts';
import { isolatedEnv, runCli, startCli } from './helpers/run-cli.ts';
import { cliSandbox } from './helpers/cli-sandbox.ts';

const sb = cliSandbox();

describe('edgewatch-agent run', () => {
  it('ships host metrics and exits 0 after flushing on SIGTERM', async () => {
    sb.server = await startServer(ack);
    const env = {
      ...isolatedEnv(sb.dir),
      EDGEWATCH_URL: sb.server.url,
      EDGEWATCH_TOKEN: 'ewd.run-token',
      EDGEWATCH_INTERVAL: '1',
    };
    const agent = startCli(['run'], env);
    const cpuBatch = await until(
      'a batch with cpu_usage_percent',
      () =>
        sb.server!.requests.find((r) =>
          (r.json as { samples: { metric: string }[] }).samples.some((s) => s.metric === 'cpu_usage_percent'),
        ),
      15_000,
    );
    const cpu = (cpuBatch.json as { samples: { metric: string; value: number; labels?: object }[] }).samples.find(
      (s) => s.metric === 'cpu_usage_percent',
    )!;
    expect(cpu.value).toBeGreaterThanOrEqual(0);
    expect(cpu.value).toBeLessThanOrEqual(100);
    expect(cpu.labels).toBeUndefined();
    expect(cpuBatch.headers.authorization).toBe('Bearer ewd.run-token');

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const logs = agent.out.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; pendingSamples?: number });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['agent started', 'stopping', 'agent stopped']));
    expect(logs.find((l) => l.msg === 'agent stopped')?.pendingSamples).toBe(0);
    // Every batch is distinct: nothing was sent twice to a sb.server that always acknowledged.
    const ids = sb.server.requests.map((r) => (r.json as { batchId: string }).batchId);
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
});
