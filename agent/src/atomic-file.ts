import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

let sequence = 0;

/**
 * Replaces `path` with `text` through a temp file and a rename, so a reader (or a crash)
 * sees the old file or the new one, never half of one. Creates the directory (mode 0700).
 * Default file mode 0600: remote config can carry probe URLs with tokens in them.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Unique per call: two writes of one file in flight must not share a temp file.
  const tmp = `${path}.${process.pid}.${++sequence}.tmp`;
  try {
    await writeFile(tmp, text, { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
