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
    expect(commands).toEqual(['enroll', 'run']);
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
    for (const v of ['--config PATH', 'EDGEWATCH_URL', 'EDGEWATCH_TOKEN', 'EDGEWATCH_INTERVAL', 'EDGEWATCH_LOG_LEVEL'])
      expect(stdout).toContain(v);
  });

  it('prints the package version', async () => {
    expect((await runCli(['--version'])).stdout.trim()).toBe(pkg.version);
  });

  it('names an unknown command and exits 2', async () => {
    const { code, stderr } = await runCli(['start']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "start"');
  });

  it('names an unknown option with an example', async () => {
    const { code, stderr } = await runCli(['run', '--intervl', '5']);
    expect(code).toBe(2);
    expect(stderr).toContain("'--intervl'");
    expect(stderr).toContain('Example: edgewatch-agent run');
  });
});
