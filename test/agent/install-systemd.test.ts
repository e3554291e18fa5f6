import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInstallScript } from '../../workers/src/services/agents/install-script.ts';
import { allowFakeSystemd, fakeSystemd } from './helpers/fake-systemd.ts';
import { runInstallScript, sha256, SYSTEM_PATH } from './helpers/install-script.ts';

// Under systemd the installer uses the node on systemd's PATH, as the service will.

// Stands in for the agent bundle: `enroll` writes a config the way the real one does.
const fakeAgent = (version: number) => `// fake agent v${version}
const args = process.argv.slice(2);
const get = (flag) => args[args.indexOf(flag) + 1];
if (args[0] === 'enroll') {
  const config = { url: get('--url'), deviceId: 'dev_fake', deviceToken: 't', name: get('--name'), spoolDir: get('--spool-dir') };
  require('node:fs').writeFileSync(get('--config'), JSON.stringify(config), { mode: 0o600 });
}
`;

let dir: string;
let root: string;
let server: Server;
let url: string;
let bundle = fakeAgent(1);
let fake: Awaited<ReturnType<typeof fakeSystemd>>;

const script = async () =>
  allowFakeSystemd(
    renderInstallScript({
      template: await readFile(new URL('../../agent/install/install.sh', import.meta.url), 'utf8'),
      unit: await readFile(new URL('../../agent/install/edgewatch-agent.service', import.meta.url), 'utf8'),
      url,
      sha256: sha256(bundle),
    }),
  );
const install = async (args: string[], env: Record<string, string> = {}) =>
  runInstallScript(await script(), ['--prefix', root, ...args], {
    PATH: `${fake.bin}:${SYSTEM_PATH}`,
    FAKE_STATE: fake.state,
    ...env,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-install-systemd-'));
  root = join(dir, 'root');
  fake = await fakeSystemd(dir);
  server = createServer((_req, res) => res.end(bundle));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('install.sh with systemd (systemctl, useradd and chown faked)', () => {
  it('creates the user, hands it the config and state, then reloads, enables and starts the unit', async () => {
    const run = await install(['--token', 'ewe_x', '--name', 'web-1']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const config = join(root, 'etc/edgewatch/agent.json');
    const state = join(root, 'var/lib/edgewatch');
    expect(await fake.log()).toEqual([
      expect.stringMatching(
        /^useradd --system --user-group --no-create-home --home-dir \/nonexistent --shell \S+nologin /,
      ),
      `chown edgewatch:edgewatch ${join(root, 'etc/edgewatch')} ${config} ${state}`,
      'systemctl daemon-reload',
      'systemctl is-enabled --quiet edgewatch-agent',
      'systemctl enable --quiet edgewatch-agent',
      'systemctl is-active --quiet edgewatch-agent',
      'systemctl start edgewatch-agent',
      'systemctl is-active --quiet edgewatch-agent',
    ]);
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    // Relative to the config's folder under --prefix: /var/lib/edgewatch once the prefix is /.
    expect(JSON.parse(await readFile(config, 'utf8'))).toMatchObject({ spoolDir: '../../var/lib/edgewatch' });
    expect(run.stdout).toContain('systemctl status edgewatch-agent');
    expect(run.stdout).toContain('edgewatch-agent status');
  });

  it('a second run only asks systemd questions', async () => {
    const run = await install(['--token', 'ewe_x']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('service: unchanged (running)');
    expect(run.stdout).toContain('Nothing changed');
    const log = await fake.log();
    expect(log.filter((l) => !/^(systemctl is-|chown )/.test(l))).toEqual([]);
  });

  it('restarts the service when the server has a new bundle, without reloading an unchanged unit', async () => {
    bundle = fakeAgent(2);
    const run = await install([]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('agent: updated');
    expect(run.stdout).toContain('service: restarted');
    const log = await fake.log();
    expect(log).toContain('systemctl restart edgewatch-agent');
    expect(log).not.toContain('systemctl daemon-reload');
  });

  it('records the state folder in the config of an older install, and restarts the service', async () => {
    const config = join(root, 'etc/edgewatch/agent.json');
    const { spoolDir: _, ...older } = JSON.parse(await readFile(config, 'utf8')) as Record<string, unknown>;
    await writeFile(config, JSON.stringify(older), { mode: 0o600 });
    const run = await install([]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`config: state folder set to ${join(root, 'var/lib/edgewatch')}`);
    expect(run.stdout).toContain('service: restarted');
    expect(JSON.parse(await readFile(config, 'utf8'))).toEqual({ ...older, spoolDir: '../../var/lib/edgewatch' });
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    await fake.log();
  });

  it('fails, showing the journal, when the service does not stay up', async () => {
    await rm(join(fake.state, 'active'));
    const run = await install([], { FAKE_CRASH: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('edgewatch-agent is not running. Its last log lines: edgewatch-agent: config file');
    await fake.log();
  });

  it('--uninstall disables the unit, removes the user and every file', async () => {
    const run = await install(['--uninstall']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await fake.log()).toEqual([
      'systemctl disable --now --quiet edgewatch-agent',
      'systemctl daemon-reload',
      'userdel edgewatch',
    ]);
    expect(await readdir(root)).toEqual([]);
  });
});
