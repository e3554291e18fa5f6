import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/local/free-port.ts';
import { newSeed, seedSql, type Seed } from '../../scripts/local/seed.ts';
import { executeLocal, migrateLocal, startWorker, type LocalWorker } from '../../scripts/local/wrangler.ts';

export interface LocalPlatform {
  url: string;
  seed: Seed;
  dir: string;
  /** The Worker's D1 and Durable Object state. */
  persistTo: string;
  /** Stops the Worker only, keeping its port and state (an outage). */
  stopWorker(): Promise<void>;
  /** Starts the Worker again on the same port and state. */
  startWorker(): Promise<void>;
  /** Stops everything and deletes the state. */
  stop(): Promise<void>;
  /** The running `wrangler dev` process's id (bench/worker-socket.ts finds the Worker's own socket from it). */
  workerPid(): number | undefined;
}

export interface LocalPlatformOptions {
  /** Start wrangler dev with `--test-scheduled`: `GET /__scheduled?cron=…` runs the cron handler. */
  testScheduled?: boolean;
  /** `[vars]` over wrangler.toml's, e.g. `{ WEBHOOK_RETRY_SCHEDULE: '1s,1s' }`. */
  vars?: Record<string, string>;
  /** The Worker's V8 inspector port, for profiling; any free one by default. */
  inspectorPort?: number;
}

/**
 * A fresh local platform for one test file: its own D1 and Durable Object state in a temp
 * folder, migrated and seeded like `npm start` does, and `wrangler dev` on a free port.
 */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-e2e-'));
  const persistTo = join(dir, 'state');
  await migrateLocal(persistTo);
  const seed = newSeed();
  await writeFile(join(dir, 'seed.sql'), await seedSql(seed));
  await executeLocal(persistTo, join(dir, 'seed.sql'));
  const port = await freePort();
  // One key for the platform's life, so webhook secrets stored before a restart still open after it.
  const webhookKey = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
  let worker: LocalWorker | undefined;
  const start = async () => {
    worker = await startWorker({
      port,
      persistTo,
      logFile: join(dir, 'worker.log'),
      testScheduled: options.testScheduled,
      vars: options.vars,
      inspectorPort: options.inspectorPort,
      secrets: { WEBHOOK_SECRETS_KEY: webhookKey },
    });
  };
  const stopWorker = async () => {
    await worker?.stop();
    worker = undefined;
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    seed,
    dir,
    persistTo,
    stopWorker,
    startWorker: start,
    workerPid: () => worker?.process.pid,
    async stop() {
      await stopWorker();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
