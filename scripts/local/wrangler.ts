import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Repository root, whatever the caller's working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WRANGLER = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));

/**
 * wrangler's environment. Since 4.x wrangler dev streams a trace of every invocation (each
 * request, RPC and alarm) to a local collector that stores it for its trace explorer: a
 * developer's tool, which cost a third of the Worker's CPU under the ingest bench (perf, 33,000
 * → 50,000 samples/s at workerd's socket once off). `X_LOCAL_OBSERVABILITY=true` in the
 * caller's environment turns it back on.
 */
const quietEnv = () => ({
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? 'false',
});

/** Runs a wrangler command to completion; throws with its output if it fails. */
export async function wrangler(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: quietEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`wrangler ${args.join(' ')} failed (exit ${code}):\n${out}`);
  return out;
}

/** Applies schema/migrations to the local D1 kept in `persistTo`. */
export const migrateLocal = (persistTo: string) =>
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo]);

/** Executes a SQL file against the local D1 kept in `persistTo`. */
export const executeLocal = (persistTo: string, file: string) =>
  wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persistTo, '--file', file]);

export interface LocalWorker {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `wrangler dev` on 127.0.0.1:`port` with state in `persistTo`, and resolves once
 * `/health` answers. Its output goes to `logFile`.
 */
export async function startWorker(opts: {
  port: number;
  persistTo: string;
  logFile: string;
  vars?: Record<string, string>;
  /** Serve `GET /__scheduled?cron=…`, so benchmarks and tests can run the cron on demand. */
  testScheduled?: boolean;
  /**
   * Worker secrets (wrangler.toml `[secrets] required`), passed in the environment, where wrangler
   * dev reads them when there is no .dev.vars (which `npm start` writes, and which wins).
   */
  secrets?: Record<string, string>;
  /** The V8 inspector's port (bench/profile-ingest.ts attaches a profiler there); any free one by default. */
  inspectorPort?: number;
  /** Another Worker's wrangler.toml (bench/dev-server-floor.ts); Edgewatch's by default. */
  config?: string;
}): Promise<LocalWorker> {
  const vars = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(opts.port),
      '--persist-to',
      opts.persistTo,
      '--show-interactive-dev-session=false',
      '--inspector-port',
      String(opts.inspectorPort ?? 0),
      ...(opts.testScheduled ? ['--test-scheduled'] : []),
      ...(opts.config ? ['--config', opts.config] : []),
      ...vars,
    ],
    { cwd: ROOT, env: { ...quietEnv(), ...opts.secrets }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}; see ${opts.logFile}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return { url, process: child, stop };
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`wrangler dev did not answer /health within 90 s; see ${opts.logFile}`);
}
