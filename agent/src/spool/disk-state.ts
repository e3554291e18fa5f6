import { open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sample } from '../../../schema/wire/ingest.ts';
import type { Logger } from '../log.ts';
import type { Batch } from './types.ts';
import { SEGMENT_HEADER_BYTES } from './disk-format.ts';

/** Where shipping resumes: a byte offset in a segment, always on a record boundary. */
export interface ReadPosition {
  /**
   * Segment id. When that segment no longer exists, reading resumes at the start of the first
   * segment with a larger id, so a segment can be deleted after the position moved past it
   * without writing the state again.
   */
  segment: number;
  offset: number;
}

/**
 * The spool's state file (`spool-state.json`), replaced atomically (write temp, fsync, rename, fsync
 * directory) on every change of the read position, the open batch or a counter.
 *
 * The open batch is kept here whole, samples included: segments then only ever hold samples
 * not yet handed out, so the oldest segment can always be dropped when the spool is full, and
 * after a crash the batch comes back with the same id and the same samples.
 */
export interface SpoolState {
  v: 1;
  read: ReadPosition;
  /** The batch handed out and not yet accepted or rejected. */
  open: { batchId: string; samples: Sample[] } | null;
  accepted: number;
  rejected: number;
  dropped: number;
}

export const STATE_FILE = 'spool-state.json';
const SEGMENT_NAME = /^(\d{12})\.seg$/;

/** `000000000042.seg`: fixed width so a directory listing sorts like the ids. */
export const segmentFileName = (id: number): string => `${String(id).padStart(12, '0')}.seg`;

/** Ids of the segment files in `dir`, ascending. Other files are left alone. */
export async function listSegmentIds(dir: string): Promise<number[]> {
  const ids: number[] = [];
  for (const name of await readdir(dir)) {
    const m = SEGMENT_NAME.exec(name);
    if (m) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

/** The state of a spool that has never shipped anything. */
export const emptyState = (): SpoolState => ({
  v: 1,
  read: { segment: 0, offset: SEGMENT_HEADER_BYTES },
  open: null,
  accepted: 0,
  rejected: 0,
  dropped: 0,
});

/**
 * Reads `spool-state.json`. A missing file is a new spool; an unreadable one is logged and replaced
 * by an empty state, which replays every segment from the oldest (at-least-once beats loss).
 */
export async function readState(dir: string, log: Logger): Promise<{ state: SpoolState; bytes: number }> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState(), bytes: 0 };
    throw err;
  }
  const state = parseState(text);
  if (state) return { state, bytes: Buffer.byteLength(text) };
  log.error('spool state file is unreadable; resending from the oldest segment', {
    file: join(dir, STATE_FILE),
    bytes: Buffer.byteLength(text),
  });
  return { state: emptyState(), bytes: Buffer.byteLength(text) };
}

function parseState(text: string): SpoolState | undefined {
  let v: Partial<SpoolState>;
  try {
    v = JSON.parse(text) as Partial<SpoolState>;
  } catch {
    return undefined;
  }
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const open = v.open as Batch | null | undefined;
  const okOpen =
    open === null || (typeof open?.batchId === 'string' && Array.isArray(open.samples) && open.samples.length > 0);
  if (v?.v !== 1 || !count(v.read?.segment) || !count(v.read?.offset) || !okOpen) return undefined;
  if (!count(v.accepted) || !count(v.rejected) || !count(v.dropped)) return undefined;
  return v as SpoolState;
}

/** Replaces `spool-state.json` atomically; with `sync`, durably. Returns the file's size. */
export async function writeState(dir: string, state: SpoolState, sync: boolean): Promise<number> {
  const text = JSON.stringify(state);
  const tmp = join(dir, `${STATE_FILE}.tmp`);
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(text, 'utf8');
    if (sync) await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, STATE_FILE));
  if (sync) await syncDir(dir);
  return Buffer.byteLength(text);
}

/** Makes created, renamed and removed names in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}
