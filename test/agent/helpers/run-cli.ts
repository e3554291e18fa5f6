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

/** Runs the agent CLI to completion; killed after `timeoutMs` so a hung command cannot outlive its test. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000) {
  const { child, out, exited } = startCli(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return { code, ...out };
}

/**
 * Environment that keeps the operator's own config, state (spool, status file) and
 * EDGEWATCH_* variables out of a test: both live under `home`.
 */
export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  return {
    XDG_CONFIG_HOME: home,
    XDG_STATE_HOME: `${home}/state`,
    STATE_DIRECTORY: '',
    EDGEWATCH_CONFIG: '',
    EDGEWATCH_URL: '',
    EDGEWATCH_TOKEN: '',
    EDGEWATCH_INTERVAL: '',
    EDGEWATCH_LOG_LEVEL: '',
    EDGEWATCH_SPOOL_DIR: '',
    EDGEWATCH_SPOOL_MAX_BYTES: '',
    EDGEWATCH_FSYNC: '',
    EDGEWATCH_TRANSPORT: '',
    EDGEWATCH_MQTT_PROTOCOL: '',
  };
}
