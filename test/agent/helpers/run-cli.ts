import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The launcher `npm` installs as `edgewatch-agent`. */
export const LAUNCHER = fileURLToPath(new URL('../../../agent/bin/edgewatch-agent.js', import.meta.url));

/** Starts the agent CLI with `node` (the one running the tests) and collects its output. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, script = LAUNCHER) {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, out, exited };
}

/** Runs the agent CLI to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { out, exited } = startCli(args, env);
  const code = await exited;
  return { code, ...out };
}

/** Environment that keeps the operator's own config and EDGEWATCH_* variables out of a test. */
export function isolatedEnv(configHome: string): NodeJS.ProcessEnv {
  return {
    XDG_CONFIG_HOME: configHome,
    EDGEWATCH_CONFIG: '',
    EDGEWATCH_URL: '',
    EDGEWATCH_TOKEN: '',
    EDGEWATCH_INTERVAL: '',
    EDGEWATCH_LOG_LEVEL: '',
  };
}
