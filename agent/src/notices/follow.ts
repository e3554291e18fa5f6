import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseNoticeLines, rotatedPath, type LogEntry } from './log.ts';

/**
 * Reads the log (the rotated file first), then keeps reading what the agent appends, as
 * `tail -F` does: the open file is read to its end before a rotated or re-created log is
 * reopened, so no line is lost to a rotation. Each entry is handed over once, by increasing id
 * (a file read twice around a rotation gives nothing new). Returns when `signal` aborts.
 */
export async function followNoticeLog(
  path: string,
  onEntries: (entries: LogEntry[]) => void,
  options: { signal: AbortSignal; intervalMs?: number },
): Promise<void> {
  let lastId = 0;
  const emit = (entries: LogEntry[]) => {
    const fresh = entries.filter((e) => e.notice.id > lastId);
    if (fresh.length === 0) return;
    lastId = fresh.at(-1)!.notice.id;
    onEntries(fresh);
  };
  let current: Tail | undefined;
  const reopen = async () => {
    if (current) emit(await current.readNew());
    await current?.close();
    // The log opened before the rotated file is read, so a rotation in between loses nothing; and
    // the rotated file read, so a second rotation since the last look loses nothing either.
    current = await openTail(path);
    emit(await readRotated(rotatedPath(path)));
  };
  await reopen();
  try {
    while (!options.signal.aborted) {
      if (current) emit(await current.readNew());
      const onDisk = await stat(path).catch(() => undefined);
      if (onDisk && (!current || onDisk.ino !== current.ino)) {
        await reopen();
        continue;
      }
      await sleep(options.intervalMs ?? 500, undefined, { signal: options.signal }).catch(() => {});
    }
  } finally {
    await current?.close();
  }
}

interface Tail {
  ino: number;
  /** The complete lines added since the last call; a line still being written waits. */
  readNew(): Promise<LogEntry[]>;
  close(): Promise<void>;
}

async function openTail(path: string): Promise<Tail | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  const { ino } = await handle.stat();
  let offset = 0;
  // Bytes, not text: a read can end inside a character, and the rest of it comes with the next.
  let partial = Buffer.alloc(0);
  return {
    ino,
    async readNew() {
      const { size } = await handle.stat();
      if (size < offset) [offset, partial] = [0, Buffer.alloc(0)]; // truncated in place
      if (size === offset) return [];
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      offset += bytesRead;
      const bytes = Buffer.concat([partial, buffer.subarray(0, bytesRead)]);
      const end = bytes.lastIndexOf(0x0a) + 1;
      partial = bytes.subarray(end);
      return parseNoticeLines(bytes.subarray(0, end).toString('utf8'));
    },
    close: () => handle.close(),
  };
}

async function readRotated(path: string): Promise<LogEntry[]> {
  const tail = await openTail(path);
  if (!tail) return [];
  try {
    return await tail.readNew();
  } finally {
    await tail.close();
  }
}
