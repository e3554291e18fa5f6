import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod/mini';
import { hostNotice } from '../../../schema/wire/notices.ts';

/** A notice as the log keeps it: the server's fields, and when this agent delivered it (epoch ms). */
const loggedNotice = z.extend(hostNotice, { deliveredAt: z.number() });
export type LoggedNotice = z.infer<typeof loggedNotice>;

/** A line of the log, parsed, with its text as stored (`notices --json` prints that). */
export interface LogEntry {
  notice: LoggedNotice;
  line: string;
}

/** Where the log goes past its bound; one old file is kept. */
export const rotatedPath = (path: string): string => `${path}.1`;

/** 256 KiB: about a thousand notices, and two files of it cost a host nothing. */
export const DEFAULT_LOG_MAX_BYTES = 256 * 1024;

// The schema bounds no string; a runaway summary must not make one line the whole log.
const MAX_FIELD = 2_000;
const capStrings = (_key: string, value: unknown) =>
  typeof value === 'string' && value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD)}…` : value;

/** The complete lines of `text` that are notices; a torn or hand-edited line is skipped. */
export function parseNoticeLines(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = loggedNotice.safeParse(data);
    if (parsed.success) entries.push({ notice: parsed.data, line });
  }
  return entries;
}

/** The rotated file's text and the current one's; undefined for a missing file, other errors throw. */
const readBoth = (path: string) => Promise.all([rotatedPath(path), path].map(readIfThere));

/** Every notice in the log, the rotated file's first. */
export async function readNoticeLog(path: string): Promise<LogEntry[]> {
  return (await readBoth(path)).flatMap((t) => parseNoticeLines(t ?? ''));
}

/** The log as the delivery appends to it. */
export interface NoticeLog {
  /** The highest id in either file, 0 when there is none. */
  readonly highestId: number;
  /** Appends one line, first moving the file to `.1` (replacing the old one) when it would pass its bound. */
  append(notice: LoggedNotice): Promise<void>;
}

/** Opens the log at `path` (created on the first append), bounded near `maxBytes` per file. */
export async function openNoticeLog(path: string, maxBytes = DEFAULT_LOG_MAX_BYTES): Promise<NoticeLog> {
  const texts = await readBoth(path);
  const current = texts[1];
  const entries = texts.flatMap((t) => parseNoticeLines(t ?? ''));
  let size = current === undefined ? 0 : Buffer.byteLength(current);
  // A line torn by a crash gets its own line ending, so the next one is not glued to it.
  let needsNewline = current !== undefined && current !== '' && !current.endsWith('\n');
  return {
    highestId: entries.reduce((max, e) => Math.max(max, e.notice.id), 0),
    async append(notice) {
      const line = JSON.stringify(notice, capStrings) + '\n';
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) {
        await rename(path, rotatedPath(path));
        size = 0;
        needsNewline = false;
      }
      const text = needsNewline ? `\n${line}` : line;
      // As the state folder's other files: made on first use, 0700 (atomic-file.ts).
      if (size === 0) await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // Readable by whoever can enter the state folder: notices hold no secret, and reading them is their point.
      await appendFile(path, text, { mode: 0o644 });
      size += Buffer.byteLength(text);
      needsNewline = false;
    },
  };
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether `path` exists; a file this user may not see (EACCES) counts as there. */
export async function fileIsThere(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
