import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSandbox } from './helpers/cli-sandbox.ts';
import { startConfigServer } from './helpers/config-server.ts';
import { until } from './helpers/http-server.ts';
import { isolatedEnv, runCli, startCli } from './helpers/run-cli.ts';

const sb = cliSandbox();

/** A status file as another agent left it: fresh enough to pass for running. */
const statusOf = (deviceId: string, dir: string, updatedAt = new Date().toISOString()) => ({
  v: 1,
  pid: process.pid,
  version: '0.1.0',
  startedAt: updatedAt,
  updatedAt,
  intervalMs: 5_000,
  url: 'http://127.0.0.1:9',
  deviceId,
  transport: 'https',
  spool: { kind: 'disk', dir, pendingSamples: 0, dropped: 0, rejected: 0 },
  shipping: { batchesShipped: 0, samplesShipped: 0, shipErrors: 0 },
  config: { source: 'defaults' },
  collectors: [],
});

const plantStatus = async (dir: string, status: object) => {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'status.json'), JSON.stringify(status));
};

describe('the state folder, recorded in the config file', () => {
  it('is written by enroll as npm start does, and run, status and check all use it whatever the environment', async () => {
    sb.server = await startConfigServer();
    const config = join(sb.dir, '.edgewatch', 'agent.json');
    const state = join(sb.dir, '.edgewatch', 'agent-state');
    const env = { ...isolatedEnv(sb.dir), EDGEWATCH_INTERVAL: '1' };
    // Another agent's old status in the default folder, which status used to read instead.
    const fallback = join(sb.dir, 'state', 'edgewatch');
    await plantStatus(fallback, statusOf('dev_other', fallback, new Date(Date.now() - 600_000).toISOString()));

    const enrolled = await runCli(
      ['enroll', '--url', sb.server.url, '--token', 'ewe_x', '--config', config, '--spool-dir', 'agent-state'],
      env,
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect(enrolled.stdout).toContain(`State folder (spool, status file): ${state}`);
    expect(JSON.parse(await readFile(config, 'utf8'))).toMatchObject({ deviceId: 'dev_test', spoolDir: 'agent-state' });

    const agent = startCli(['run', '--config', config], env);
    sb.children.push(agent.child);
    try {
      // As under sudo or in a systemd unit's environment: another default folder.
      const elsewhere = { ...env, STATE_DIRECTORY: join(sb.dir, 'systemd-state'), XDG_STATE_HOME: '' };
      for (const e of [env, elsewhere]) {
        const text = await until(
          'status to report the running agent',
          async () => {
            const r = await runCli(['status', '--config', config], e);
            return r.code === 0 ? r.stdout : undefined;
          },
          15_000,
        );
        expect(text).toContain(`edgewatch-agent: running (pid ${agent.child.pid},`);
        expect(text).toContain(`(disk, ${state})`);
      }
      const check = await runCli(['check', '--config', config], env);
      expect(check.stdout).toContain(
        `✓ spool: ${state} is writable (state folder, from "spoolDir" in the config file)`,
      );
      expect(check.code, check.stdout).toBe(0);
    } finally {
      agent.child.kill('SIGTERM');
      expect(await agent.exited, agent.out.stderr).toBe(0);
    }
    expect(JSON.parse(await readFile(join(state, 'status.json'), 'utf8'))).toMatchObject({ pid: agent.child.pid });
  }, 40_000);

  it('records a new --spool-dir on an existing enrollment without spending the token', async () => {
    sb.server = await startConfigServer();
    const config = join(sb.dir, 'agent.json');
    const env = isolatedEnv(sb.dir);
    await writeFile(config, JSON.stringify({ url: sb.server.url, deviceId: 'dev_old', deviceToken: 'ewd.test' }));

    const run = await runCli(
      ['enroll', '--url', sb.server.url, '--token', 'ewe_x', '--config', config, '--spool-dir', '/srv/edgewatch'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Already enrolled as device dev_old');
    expect(run.stdout).toContain('State folder set to /srv/edgewatch.');
    expect(JSON.parse(await readFile(config, 'utf8'))).toEqual({
      url: sb.server.url,
      deviceId: 'dev_old',
      deviceToken: 'ewd.test',
      spoolDir: '/srv/edgewatch',
    });
    expect(sb.server.requests.filter((r) => r.path === '/v1/agents/enroll')).toEqual([]);
  });

  it("does not report another device's status file as this agent's", async () => {
    const config = join(sb.dir, 'agent.json');
    const state = join(sb.dir, 'shared-state');
    await writeFile(
      config,
      JSON.stringify({ url: 'http://127.0.0.1:9', deviceId: 'dev_mine', deviceToken: 'ewd.x', spoolDir: state }),
    );
    await plantStatus(state, statusOf('dev_other', state));

    const { code, stdout } = await runCli(['status', '--config', config], isolatedEnv(sb.dir));
    expect(code).toBe(1);
    expect(stdout).toContain(`not running (the status file in ${state} is device dev_other's, not dev_mine's)`);
  });

  it('stops run at start, exit 78, when the state folder is a file, naming where it came from', async () => {
    const file = join(sb.dir, 'not-a-folder');
    await writeFile(file, 'x');
    const env = {
      ...isolatedEnv(sb.dir),
      EDGEWATCH_URL: 'http://127.0.0.1:9',
      EDGEWATCH_TOKEN: 'ewd.x',
      EDGEWATCH_SPOOL_DIR: file,
    };
    const { code, stderr } = await runCli(['run'], env);
    expect(code).toBe(78);
    expect(stderr).toContain(`EDGEWATCH_SPOOL_DIR=${JSON.stringify(file)}: spoolDir must be the path of a folder`);
    expect(stderr).toContain(`${file} is not a folder`);
  });
});
