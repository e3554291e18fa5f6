import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

let sequence = 0;
// Folders this process has made or found: the status file and collection marks are rewritten
// every few seconds, and a mkdir per write was a measurable part of the agent's steady CPU.
const madeDirs = new Set<string>();

/**
 * Replaces `path` with `text` through a temp file and a rename, so a reader (or a crash)
 * sees the old file or the new one, never half of one. Creates the directory (mode 0700),
 * again if it was removed since.
 * Default file mode 0600: remote config can carry probe URLs with tokens in them.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) await makeDir(dir);
  // Unique per call: two writes of one file in flight must not share a temp file.
  const tmp = `${path}.${process.pid}.${++sequence}.tmp`;
  try {
    try {
      await writeFile(tmp, text, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await makeDir(dir);
      await writeFile(tmp, text, { mode });
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function makeDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  madeDirs.add(dir);
}
