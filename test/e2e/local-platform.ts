import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/local/free-port.ts';
import { newSeed, seedSql, type Seed } from '../../scripts/local/seed.ts';
import { executeLocal, migrateLocal, startWorker } from '../../scripts/local/wrangler.ts';

export interface LocalPlatform {
  url: string;
  seed: Seed;
  dir: string;
  stop(): Promise<void>;
}

/**
 * A fresh local platform for one test file: its own D1 and Durable Object state in a temp
 * folder, migrated and seeded like `npm start` does, and `wrangler dev` on a free port.
 */
export async function startLocalPlatform(): Promise<LocalPlatform> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-e2e-'));
  const persistTo = join(dir, 'state');
  await migrateLocal(persistTo);
  const seed = newSeed();
  await writeFile(join(dir, 'seed.sql'), await seedSql(seed));
  await executeLocal(persistTo, join(dir, 'seed.sql'));
  const worker = await startWorker({ port: await freePort(), persistTo, logFile: join(dir, 'worker.log') });
  return {
    url: worker.url,
    seed,
    dir,
    async stop() {
      await worker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
