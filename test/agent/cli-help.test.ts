import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { runCli } from './helpers/run-cli.ts';

describe('edgewatch-agent --help', () => {
  it('lists exactly the commands that exist', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    const commands = stdout
      .split('Commands:\n')[1]!
      .split('\n\n')[0]!
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0]);
    expect(commands).toEqual(['enroll', 'run', 'status', 'notices', 'check', 'gateway']);
  });

  it('gives every command its own help, exit 0', async () => {
    for (const command of ['enroll', 'run', 'status', 'check']) {
      const { code, stdout } = await runCli([command, '--help']);
      expect(code, command).toBe(0);
      expect(stdout, command).toMatch(new RegExp(`^Usage: edgewatch-agent ${command}`));
    }
  });

  it('documents status: its options, the status file and its exit codes', async () => {
    const { stdout } = await runCli(['status', '-h']);
    for (const v of [
      '--config PATH',
      '--spool-dir DIR',
      '--json',
      'status.json',
      'Exit status: 0 running, 1 not running',
    ])
      expect(stdout).toContain(v);
  });

  it('documents check: each step and its exit codes', async () => {
    const { stdout } = await runCli(['check', '-h']);
    for (const v of ['GET /health', 'GET /v1/agents/config', 'spool directory', '✓ or ✗', 'Exit status: 0'])
      expect(stdout).toContain(v);
  });

  it('documents every enroll option', async () => {
    const { code, stdout } = await runCli(['enroll', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--url URL', '--token TOKEN', '--name NAME', '--config PATH', '--force'])
      expect(stdout).toContain(flag);
  });

  it('documents run and its environment overrides', async () => {
    const { code, stdout } = await runCli(['run', '-h']);
    expect(code).toBe(0);
    for (const v of [
      '--config PATH',
      'EDGEWATCH_URL',
      'EDGEWATCH_TOKEN',
      'EDGEWATCH_INTERVAL',
      'EDGEWATCH_LOG_LEVEL',
      'EDGEWATCH_SPOOL_DIR',
      'EDGEWATCH_SPOOL_MAX_BYTES',
      'EDGEWATCH_FSYNC',
      'EDGEWATCH_TRANSPORT',
      'EDGEWATCH_MQTT_PROTOCOL',
    ])
      expect(stdout).toContain(v);
  });

  it('says, in the program help and each command help, where the config file and the state folder are', async () => {
    const main = (await runCli(['--help'])).stdout;
    for (const v of ['config file', 'state folder', '"spoolDir" in the config file', 'status.json'])
      expect(main).toContain(v);
    for (const command of ['enroll', 'run', 'status', 'check']) {
      const { stdout } = await runCli([command, '--help']);
      expect(stdout, command).toContain('--config PATH');
      expect(stdout, command).toContain('state folder');
      expect(stdout, command).toContain('"spoolDir"');
    }
    expect((await runCli(['enroll', '--help'])).stdout).toContain('--spool-dir DIR');
  });

  it('prints the package version', async () => {
    expect((await runCli(['--version'])).stdout.trim()).toBe(pkg.version);
  });

  it('names an unknown command and exits 2', async () => {
    const { code, stderr } = await runCli(['start']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "start"');
  });

  it('names an unknown status option with an example', async () => {
    const { code, stderr } = await runCli(['status', '--jsn']);
    expect(code).toBe(2);
    expect(stderr).toContain("'--jsn'");
    expect(stderr).toContain('Example: edgewatch-agent status --json');
    expect(stderr).toContain('See: edgewatch-agent status --help');
  });

  it('names an unknown option with an example', async () => {
    const { code, stderr } = await runCli(['run', '--intervl', '5']);
    expect(code).toBe(2);
    expect(stderr).toContain("'--intervl'");
    expect(stderr).toContain('Example: edgewatch-agent run');
  });
});
