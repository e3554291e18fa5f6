import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.ts';

/** `notices-state.json` keeps the last delivered id, `notices-read.json` the last one shown by `notices`. */
export type MarkKey = 'lastDeliveredId' | 'lastReadId';

/** The id a mark file holds; 0 when it is missing, unreadable or not a positive integer. */
export async function readMark(path: string, key: MarkKey): Promise<number> {
  try {
    const value = (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown> | null)?.[key];
    return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

/** Replaces a mark file atomically (a crash leaves the old id or the new one). */
export async function writeMark(path: string, key: MarkKey, id: number, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, JSON.stringify({ [key]: id, at: new Date().toISOString() }) + '\n', mode);
}
