import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_CONFIG } from '../../schema/wire/agent-config.ts';
import { cliSandbox } from './helpers/cli-sandbox.ts';
import { startConfigServer } from './helpers/config-server.ts';
import { closedPort, until } from './helpers/http-server.ts';
import { isolatedEnv, runCli, startCli } from './helpers/run-cli.ts';

const sb = cliSandbox();
const envFor = (url: string, token = 'ewd.test') => ({
  ...isolatedEnv(sb.dir),
  EDGEWATCH_URL: url,
  EDGEWATCH_TOKEN: token,
  EDGEWATCH_SPOOL_DIR: join(sb.dir, 'spool'),
});

describe('edgewatch-agent check', () => {
  it('passes every step against a server that accepts the device', async () => {
    sb.server = await startConfigServer({
      ...DEFAULT_AGENT_CONFIG,
      probes: [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 }],
    });
    const { code, stdout } = await runCli(['check'], envFor(sb.server.url));
    expect(stdout).toMatch(/^✓ config: .* is valid \(server http:\/\/127\.0\.0\.1:\d+, transport https\)$/m);
    expect(stdout).toMatch(/^✓ spool: .*spool is writable \(state folder, from EDGEWATCH_SPOOL_DIR\)$/m);
    expect(stdout).toMatch(/^✓ server: .*\/health answered 200 in \d+ ms$/m);
    expect(stdout).toMatch(/^✓ device: token accepted; remote config "[0-9a-f]+": 1 probes/m);
    expect(stdout).not.toContain('✗');
    expect(code).toBe(0);
  });

  it('fails the device step with an enroll hint when the token is refused', async () => {
    sb.server = await startConfigServer();
    const { code, stdout } = await runCli(['check'], envFor(sb.server.url, 'ewd.revoked'));
    expect(stdout).toMatch(/^✓ server:/m);
    expect(stdout).toMatch(/^✗ device: device token refused: 401 unauthorized/m);
    expect(stdout).toContain('hint: the device may have been revoked; enroll again: edgewatch-agent enroll');
    expect(code).toBe(1);
  });

  it('fails the server step with a hint when nothing answers', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, stdout } = await runCli(['check'], envFor(url));
    expect(stdout).toMatch(/^✗ server: cannot reach .*\/health: fetch failed \(ECONNREFUSED\)$/m);
    expect(stdout).toContain('hint: check "url"');
    expect(stdout).not.toContain('device:');
    expect(code).toBe(1);
  });

  it('fails the config step, naming the bad value, without trying the network', async () => {
    const { code, stdout } = await runCli(['check'], { ...envFor('http://127.0.0.1:9'), EDGEWATCH_FSYNC: 'sometimes' });
    expect(stdout).toMatch(/^✗ config: invalid configuration:/m);
    expect(stdout).toContain('EDGEWATCH_FSYNC="sometimes"');
    expect(stdout).toContain('hint: enroll writes a valid config');
    expect(stdout).not.toContain('server:');
    expect(code).toBe(1);
  });
});

describe('edgewatch-agent status', () => {
  it('says the agent is not running when there is no status file', async () => {
    const { code, stdout } = await runCli(['status'], envFor('http://127.0.0.1:9'));
    expect(code).toBe(1);
    expect(stdout).toContain('edgewatch-agent: not running (no status file at');
    expect(stdout).toContain('hint: is the agent running?');
  });

  it('reports a running agent, its last ship and spool, in text and JSON, then that it stopped', async () => {
    sb.server = await startConfigServer();
    const env = { ...envFor(sb.server.url), EDGEWATCH_INTERVAL: '1' };
    const agent = startCli(['run'], env);
    sb.children.push(agent.child);
    try {
      const text = await until(
        'a status that shows a ship',
        async () => {
          const r = await runCli(['status'], env);
          return r.code === 0 && !r.stdout.includes('last ship:   never') ? r.stdout : undefined;
        },
        20_000,
      );
      expect(text).toMatch(/^edgewatch-agent: running \(pid \d+, version \d+\.\d+\.\d+, up \d+ s\)$/m);
      expect(text).toMatch(/^ {2}server: {6}http:\/\/127\.0\.0\.1:\d+ via https$/m);
      expect(text).toMatch(/^ {2}last ship: {3}\d+ s ago \(.*\), took \d+ ms$/m);
      expect(text).toMatch(/^ {2}spool: {7}\d+ samples pending, .* on disk \(disk, .*spool\)$/m);
      expect(text).toMatch(/^ {2}config: {6}poll "[0-9a-f]+", applied/m);
      expect(text).toContain('cpu 1s');

      const json = await runCli(['status', '--json'], env);
      expect(json.code).toBe(0);
      const status = JSON.parse(json.stdout) as {
        running: boolean;
        pid: number;
        spool: { kind: string; bytes: number };
      };
      expect(status).toMatchObject({ running: true, pid: agent.child.pid, spool: { kind: 'disk' } });
      expect(status.spool.bytes).toBeGreaterThan(0);
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    }
    const after = await runCli(['status'], env);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/^edgewatch-agent: not running \(stopped at .*\); last status from pid \d+/m);
  }, 30_000);

  it('treats a status file that is no longer rewritten as not running', async () => {
    const dir = join(sb.dir, 'spool');
    await mkdir(dir, { recursive: true });
    const old = new Date(Date.now() - 120_000).toISOString();
    const status = {
      v: 1,
      pid: process.pid,
      version: '0.1.0',
      startedAt: old,
      updatedAt: old,
      intervalMs: 5_000,
      url: 'http://127.0.0.1:9',
      transport: 'https',
      spool: { kind: 'disk', dir, pendingSamples: 12, dropped: 0, rejected: 0 },
      shipping: { batchesShipped: 0, samplesShipped: 0, shipErrors: 4, lastError: { at: old, message: '503 busy' } },
      config: { source: 'defaults' },
      collectors: [],
    };
    await writeFile(join(dir, 'status.json'), JSON.stringify(status));
    const { code, stdout } = await runCli(['status', '--spool-dir', dir], {});
    expect(code).toBe(1);
    expect(stdout).toMatch(/not running \(status not updated for 1\d\d s\)/);
    expect(stdout).toContain('4 failed sends; last 2 min ago');
    expect(stdout).toContain('503 busy');
  });
});
