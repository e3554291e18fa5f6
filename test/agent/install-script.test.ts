import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInstallScript } from '../../workers/src/services/agents/install-script.ts';
import { runInstallScript } from './helpers/install-script.ts';
import { skipWithout } from './helpers/skip-without.ts';

const run = promisify(execFile);
const INSTALL_DIR = new URL('../../agent/install/', import.meta.url).pathname;
const TEMPLATE = join(INSTALL_DIR, 'install.sh');
const UNIT = join(INSTALL_DIR, 'edgewatch-agent.service');
const SHA = 'a'.repeat(64);

/** Whether a tool is on PATH; the checks that need it skip, and say so, when it is not. */
async function has(tool: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${tool}`]);
    return true;
  } catch {
    console.warn(
      `install-script.test: ${tool} is not installed, so its check is skipped (Debian: apt-get install -y ${tool === 'systemd-analyze' ? 'systemd' : tool})`,
    );
    return false;
  }
}
const hasShellcheck = await has('shellcheck');
const hasSystemdAnalyze = await has('systemd-analyze');

let dir: string;
let rendered: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-install-script-'));
  rendered = renderInstallScript({
    template: await readFile(TEMPLATE, 'utf8'),
    unit: await readFile(UNIT, 'utf8'),
    url: 'https://edgewatch.example.com',
    sha256: SHA,
  });
  await writeFile(join(dir, 'install.sh'), rendered);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('install.sh, statically', () => {
  it('parses with sh -n, as the template and as served', async () => {
    await run('sh', ['-n', TEMPLATE]);
    await run('sh', ['-n', join(dir, 'install.sh')]);
  });

  it.skipIf(skipWithout(hasShellcheck))('passes shellcheck as POSIX sh, as the template and as served', async () => {
    await run('shellcheck', ['--shell=sh', TEMPLATE, join(dir, 'install.sh')]);
  });
});

describe('edgewatch-agent.service', () => {
  it('carries the hardening the issue asks for, and no MemoryDenyWriteExecute (V8 needs W+X pages)', async () => {
    const unit = await readFile(UNIT, 'utf8');
    const lines = new Set(unit.split('\n'));
    for (const line of [
      'User=edgewatch',
      'StateDirectory=edgewatch',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'PrivateDevices=yes',
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectControlGroups=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
      'RestrictNamespaces=yes',
      'LockPersonality=yes',
      'CapabilityBoundingSet=',
      'Restart=on-failure',
      'RestartPreventExitStatus=78',
      'ExecStart=/usr/bin/env node /opt/edgewatch/edgewatch-agent.js run --config /etc/edgewatch/agent.json',
    ]) {
      expect(lines, line).toContain(line);
    }
    expect(unit).toMatch(/^ProtectHome=(yes|read-only)$/m);
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=/m);
  });

  it.skipIf(skipWithout(hasSystemdAnalyze))('passes systemd-analyze verify', async () => {
    // verify wants the unit's own file name; a copy keeps the check off /etc.
    const copy = join(dir, 'edgewatch-agent.service');
    await copyFile(UNIT, copy);
    const { stderr } = await run('systemd-analyze', ['verify', copy]);
    expect(stderr).not.toMatch(/Unknown key|Failed|Invalid/i);
  });
});

describe('renderInstallScript', () => {
  it('fills in the URL, the sha256 and the unit, once each', () => {
    expect(rendered).toContain("DEFAULT_URL='https://edgewatch.example.com'");
    expect(rendered).toContain(`AGENT_SHA256='${SHA}'`);
    expect(rendered).toContain('ProtectSystem=strict\n');
    expect(rendered).not.toMatch(/@(EDGEWATCH_URL|AGENT_SHA256|EDGEWATCH_UNIT)@/);
  });

  it('refuses an origin or a unit that could change what the script does', async () => {
    const template = await readFile(TEMPLATE, 'utf8');
    const unit = await readFile(UNIT, 'utf8');
    expect(() => renderInstallScript({ template, unit, sha256: SHA, url: "https://x'; rm -rf /; '" })).toThrow(
      /not a plain http\(s\) origin/,
    );
    expect(() => renderInstallScript({ template, unit, url: 'https://x', sha256: 'ABC' })).toThrow(/sha256/);
    expect(() =>
      renderInstallScript({ template, unit: `${unit}EDGEWATCH_UNIT\necho owned\n`, url: 'https://x', sha256: SHA }),
    ).toThrow(/heredoc terminator/);
  });
});

describe('install.sh, run without a server', () => {
  it('prints its help', async () => {
    const r = await runInstallScript(rendered, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('curl -fsSL https://edgewatch.example.com/install.sh | sh -s -- --token TOKEN');
  });

  it('rejects an unknown option and a flag without its value, with exit 2', async () => {
    const unknown = await runInstallScript(rendered, ['--frobnicate']);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining("unknown option '--frobnicate'")]);
    const empty = await runInstallScript(rendered, ['--name']);
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining('--name needs a value, e.g. --name web-1')]);
  });

  it('asks for --no-systemd with a --prefix, and for --token on a host not yet enrolled', async () => {
    const prefix = join(dir, 'root');
    const withSystemd = await runInstallScript(rendered, ['--token', 'ewe_x', '--prefix', prefix]);
    expect(withSystemd.code).toBe(2);
    expect(withSystemd.stderr).toContain('add --no-systemd');
    const noToken = await runInstallScript(rendered, ['--prefix', prefix, '--no-systemd']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('--token is needed: this host is not enrolled with https://edgewatch.example.com');
    await expect(stat(prefix)).rejects.toThrow(/ENOENT/);
  });

  it('refuses to run as the unfilled template', async () => {
    const r = await runInstallScript(await readFile(TEMPLATE, 'utf8'), [
      '--token',
      'ewe_x',
      '--url',
      'https://edgewatch.example.com',
      '--prefix',
      join(dir, 'template-root'),
      '--no-systemd',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('this copy of install.sh has no agent checksum in it');
  });
});
