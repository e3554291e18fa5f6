import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/build.ts';
import { ROOT } from '../../scripts/local/wrangler.ts';
import {
  runInstallScript,
  sha256,
  snapshotTree,
  SYSTEM_NODE,
  SYSTEM_PATH,
  type ScriptRun,
} from '../agent/helpers/install-script.ts';
import { agentProcesses } from './agent-process.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

let platform: LocalPlatform;
let scratch: string;
let prefix: string;
let script: string;
let builtSha: string;
const agents = agentProcesses();

interface Device {
  id: string;
  name: string;
  status: string;
}

const api = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${platform.seed.apiKey}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const devices = async () => (await api<{ devices: Device[] }>('/v1/devices')).devices;

const install = (args: string[], env?: Record<string, string>) =>
  runInstallScript(script, ['--prefix', prefix, '--no-systemd', ...args], env);
const show = (run: ScriptRun) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
const mode = async (path: string) => (await stat(path)).mode & 0o7777;
const runInstallStatus = (bundle: string, config: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(SYSTEM_NODE, [bundle, 'status', '--config', config], { env }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });

beforeAll(async () => {
  await buildAll();
  builtSha = sha256(await readFile(join(ROOT, 'agent/dist/edgewatch-agent.js')));
  platform = await startLocalPlatform();
  scratch = await mkdtemp(join(tmpdir(), 'edgewatch-install-'));
  prefix = join(scratch, 'root');
  const res = await fetch(`${platform.url}/install.sh`);
  expect(res.status).toBe(200);
  script = await res.text();
});

afterAll(async () => {
  await agents.stopAll();
  await platform?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('GET /install.sh', () => {
  it('serves an uncached shell script with the server URL and the bundle sha256 built in', async () => {
    const res = await fetch(`${platform.url}/install.sh`);
    expect(res.headers.get('content-type')).toMatch(/^text\/x-shellscript/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).toContain(`DEFAULT_URL='${platform.url}'`);
    expect(body).toContain(`AGENT_SHA256='${builtSha}'`);
    expect(body).not.toMatch(/@(EDGEWATCH_URL|AGENT_SHA256|EDGEWATCH_UNIT)@/);
    expect(body).toContain((await readFile(join(ROOT, 'agent/install/edgewatch-agent.service'), 'utf8')).trimEnd());
    const served = await fetch(`${platform.url}/agent/edgewatch-agent.js`);
    expect(sha256(Buffer.from(await served.arrayBuffer()))).toBe(builtSha);
  });
});

describe('install.sh --no-systemd --prefix', () => {
  it('installs, enrolls, and the installed agent ships data under the system Node', async () => {
    const run = await install(['--token', platform.seed.enrollmentToken, '--name', 'install-test']);
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toContain(
      `node: ${execFileSync(SYSTEM_NODE, ['-v'], { encoding: 'utf8' }).trim()} (${SYSTEM_NODE})`,
    );
    expect(run.stdout).toContain(`agent: sha256 verified (${builtSha})`);
    expect(run.stdout).toMatch(/enrollment: enrolled as device dev_/);

    const bundle = join(prefix, 'opt/edgewatch/edgewatch-agent.js');
    const config = join(prefix, 'etc/edgewatch/agent.json');
    expect(sha256(await readFile(bundle))).toBe(builtSha);
    expect(await mode(bundle)).toBe(0o755);
    expect(await mode(config)).toBe(0o600);
    expect(await mode(join(prefix, 'etc/edgewatch'))).toBe(0o700);
    expect(await mode(join(prefix, 'var/lib/edgewatch'))).toBe(0o700);
    expect(await mode(join(prefix, 'usr/local/bin/edgewatch-agent'))).toBe(0o755);
    expect(await readFile(join(prefix, 'etc/systemd/system/edgewatch-agent.service'), 'utf8')).toBe(
      await readFile(join(ROOT, 'agent/install/edgewatch-agent.service'), 'utf8'),
    );
    const written = JSON.parse(await readFile(config, 'utf8')) as { url: string; deviceId: string; name: string };
    // Relative to the config's folder: the same folder run in place and once the prefix is /.
    expect(written).toMatchObject({ url: platform.url, name: 'install-test', spoolDir: '../../var/lib/edgewatch' });
    const state = join(prefix, 'var/lib/edgewatch');
    expect(run.stdout).toContain(`state    ${state} ("spoolDir" in the config`);
    expect(run.stdout).toContain(`node ${bundle} run --config ${config}`);

    // Exactly the command the summary printed, with no hint about the state folder.
    const env = { PATH: SYSTEM_PATH, HOME: scratch, EDGEWATCH_INTERVAL: '1' };
    const agent = agents.spawn(['run', '--config', config], { node: SYSTEM_NODE, script: bundle, env, inherit: false });

    const exited = once(agent, 'exit') as Promise<[number | null]>;
    try {
      const device = await agents.until('install-test to be online', async () =>
        (await devices()).find((d) => d.name === 'install-test' && d.status === 'online'),
      );
      expect(device.id).toBe(written.deviceId);
      await agents.until('a CPU reading from install-test', async () => {
        const latest = await api<{ values: { metric: string }[] }>(`/v1/devices/${device.id}/latest`);
        return latest.values.some((v) => v.metric === 'cpu_usage_percent') ? true : undefined;
      });
      const status = await agents.until('status --config to report the agent', async () => {
        const r = await runInstallStatus(bundle, config, env);
        return r.code === 0 ? r.stdout : undefined;
      });
      expect(status).toContain(`edgewatch-agent: running (pid ${agent.pid},`);
      expect(status).toContain(`(disk, ${state})`);
      await expect(stat(join(scratch, '.local'))).rejects.toThrow(/ENOENT/);
    } finally {
      // Stopped here, pass or fail: the next test compares the prefix before and after a run.
      agent.kill('SIGTERM');
    }
    const [exit] = await exited;
    expect(exit, agents.log()).toBe(0);
  });

  it('changes nothing when run again, with or without the token', async () => {
    const before = await snapshotTree(prefix);
    const devicesBefore = await devices();
    const config = join(prefix, 'etc/edgewatch/agent.json');
    const { deviceId } = JSON.parse(await readFile(config, 'utf8')) as { deviceId: string };

    for (const args of [['--token', platform.seed.enrollmentToken, '--name', 'install-test'], []]) {
      const run = await install(args);
      expect(run.code, show(run)).toBe(0);
      expect(run.stdout).toContain('Nothing changed');
      expect(run.stdout).toContain(`enrollment: unchanged (device ${deviceId}`);
      for (const item of ['agent', 'command', 'unit']) expect(run.stdout).toContain(`${item}: unchanged`);
      expect(run.stdout).not.toMatch(/: (installed|updated|enrolled)/);
    }

    expect(await snapshotTree(prefix)).toEqual(before);
    expect(JSON.parse(await readFile(config, 'utf8'))).toMatchObject({ deviceId });
    const after = await devices();
    expect(after.map((d) => d.id).sort()).toEqual(devicesBefore.map((d) => d.id).sort());
    expect(after.filter((d) => d.name === 'install-test')).toHaveLength(1);
  });

  it('refuses a bundle whose sha256 differs from the one in the script, and installs nothing', async () => {
    const tampered = await readFile(join(ROOT, 'agent/dist/edgewatch-agent.js'));
    const at = tampered.length - 2;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 1, at);
    const server: Server = createServer((_req, res) => res.end(tampered));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/edgewatch-agent.js`;
    const otherPrefix = join(scratch, 'tampered');
    await mkdir(otherPrefix);
    const devicesBefore = (await devices()).length;
    try {
      const run = await runInstallScript(script, [
        '--token',
        platform.seed.enrollmentToken,
        '--prefix',
        otherPrefix,
        '--no-systemd',
        '--bundle-url',
        mirror,
      ]);
      expect(run.code, show(run)).toBe(1);
      expect(run.stderr).toContain(`sha256 mismatch for ${mirror}: expected ${builtSha}, got ${sha256(tampered)}`);
      expect(run.stderr).toContain('Nothing was installed');
    } finally {
      server.close();
    }
    expect(await readdir(otherPrefix)).toEqual([]);
    expect(await devices()).toHaveLength(devicesBefore);
  });

  it('stops with a clear message when node is missing or older than 20', async () => {
    const fakeBin = join(scratch, 'fake-bin');
    await mkdir(fakeBin);
    await writeFile(join(fakeBin, 'node'), '#!/bin/sh\necho v18.0.0\n', { mode: 0o755 });
    const target = join(scratch, 'old-node');
    const args = ['--token', 'ewe_x', '--prefix', target, '--no-systemd'];

    const old = await runInstallScript(script, args, { PATH: `${fakeBin}:${SYSTEM_PATH}` });
    expect(old.code, show(old)).toBe(1);
    expect(old.stderr).toContain(`the agent needs Node.js 20 or newer; found v18.0.0 at ${fakeBin}/node`);
    expect(old.stderr).toContain('https://nodejs.org/en/download');

    const missing = await runInstallScript(script, args, { PATH: join(scratch, 'empty-bin') });
    expect(missing.code, show(missing)).toBe(1);
    expect(missing.stderr).toContain("the agent needs Node.js 20 or newer, and no 'node' was found on PATH");
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
  });

  it('--uninstall removes everything it installed, and a second --uninstall finds nothing', async () => {
    const run = await install(['--uninstall']);
    expect(run.code, show(run)).toBe(0);
    for (const path of [
      'opt/edgewatch',
      'etc/edgewatch',
      'var/lib/edgewatch',
      'etc/systemd/system/edgewatch-agent.service',
      'usr/local/bin/edgewatch-agent',
    ]) {
      expect(run.stdout).toContain(join(prefix, path));
    }
    expect(await readdir(prefix)).toEqual([]);

    const again = await install(['--uninstall']);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain('Nothing to remove');
  });

  it('--uninstall of an older install also removes the default state folder its agent wrote to', async () => {
    // Before the config named its state folder, an agent started as the summary said wrote
    // to ~/.local/state/edgewatch of whoever ran it.
    const home = join(scratch, 'old-home');
    const config = join(prefix, 'etc/edgewatch/agent.json');
    const stale = join(home, '.local/state/edgewatch');
    await mkdir(join(prefix, 'etc/edgewatch'), { recursive: true });
    await writeFile(config, JSON.stringify({ url: platform.url, deviceId: 'dev_old', deviceToken: 'ewd.x' }));
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, 'status.json'), JSON.stringify({ deviceId: 'dev_old' }));
    const other = join(home, '.local/state/other');
    await mkdir(other);

    const run = await install(['--uninstall'], { HOME: home });
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toContain(`removed state ${stale}`);
    await expect(stat(stale)).rejects.toThrow(/ENOENT/);
    expect(await readdir(join(home, '.local/state'))).toEqual(['other']);
    expect(await readdir(prefix)).toEqual([]);
  });
});
