import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { ROOT } from '../../scripts/local/wrangler.ts';
import type { LocalPlatform } from './local-platform.ts';
import { until } from './wait.ts';

/** The agent bundle `npm run build` makes. */
export const AGENT_BUNDLE = join(ROOT, 'agent/dist/edgewatch-agent.js');

export interface SpawnOptions {
  /** Added to this process's environment, or the whole environment with `inherit: false`. */
  env?: Record<string, string>;
  inherit?: boolean;
  /** The Node binary (default: the one running the tests) and the agent script (default: the bundle). */
  node?: string;
  script?: string;
}

/** The agents of one test file: their output kept for failure messages, and stopped at the end. */
export interface AgentProcesses {
  /** Starts `<node> <script> ...args`, its stdout and stderr appended to `log()`. */
  spawn(args: string[], options?: SpawnOptions): ChildProcess;
  /**
   * Runs `enroll` with the seed's enrollment token to completion; throws with the log unless it exits 0.
   * `options` as for {@link spawn}: give `run` the same ones (the same Node, the same state folder).
   */
  enroll(platform: LocalPlatform, name: string, config: string, options?: SpawnOptions): Promise<void>;
  /** The last 3,000 characters the agents printed. */
  log(): string;
  /** Process ids of the agents still running (a restart would change them). */
  pids(): number[];
  /** wait.ts' `until`, with the agents' log in the timeout message. */
  until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms?: number): Promise<T>;
  /** Kills (SIGKILL) every agent still running and waits for it to exit. */
  stopAll(): Promise<void>;
}

export function agentProcesses(): AgentProcesses {
  let output = '';
  const children = new Set<ChildProcess>();
  const log = () => output.slice(-3000);
  const self: AgentProcesses = {
    spawn(args, options = {}) {
      const env = options.inherit === false ? options.env : { ...process.env, ...options.env };
      const child = spawn(options.node ?? process.execPath, [options.script ?? AGENT_BUNDLE, ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => (output += d));
      child.stderr!.on('data', (d: Buffer) => (output += d));
      children.add(child);
      return child;
    },
    async enroll(platform, name, config, options) {
      const args = ['enroll', '--url', platform.url, '--token', platform.seed.enrollmentToken, '--name', name];
      const child = self.spawn([...args, '--config', config], options);
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`agent enroll exited with ${code}\n${log()}`);
    },
    log,
    pids: () => [...children].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid!),
    until: (what, probe, ms) => until(what, probe, ms, () => `agent log:\n${log()}`),
    async stopAll() {
      for (const child of children) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  return self;
}
