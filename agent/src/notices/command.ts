import { configCachePath, noticesLogPath, noticesReadPath, statusPath } from '../paths.ts';
import { stateFolders } from '../state-folder.ts';
import { followNoticeLog } from './follow.ts';
import { fileIsThere, readNoticeLog, rotatedPath, type LogEntry } from './log.ts';
import { readMark, writeMark } from './marks.ts';
import { sendTestNotice } from './test-notice.ts';
import { listLine } from './text.ts';

export interface NoticesCommandOptions {
  configPath?: string;
  spoolDir?: string;
  json?: boolean;
  follow?: boolean;
  /** Send a made-up notice through wall and the journal as the config enables them (test-notice.ts). */
  test?: boolean;
  env?: NodeJS.ProcessEnv;
  write?: (text: string) => void;
  warn?: (text: string) => void;
  /** Ends `--follow`; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
}

/**
 * `edgewatch-agent notices`: prints the host notices in the agent's log, oldest first, and
 * marks them read for `status`. 0 when the log could be read (or there is none yet), 1 when not.
 */
export async function noticesCommand(options: NoticesCommandOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const warn = options.warn ?? ((t: string) => process.stderr.write(t));
  const dir = await noticesFolder(options, env);
  if (options.test) return sendTestNotice({ dir, env, write, warn });
  const path = noticesLogPath(dir);

  let entries: LogEntry[];
  try {
    entries = await readNoticeLog(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    warn(
      `edgewatch-agent: cannot read ${path} (${code ?? (err as Error).message})\n  hint: run it as the agent's user or with sudo\n`,
    );
    return 1;
  }

  let read = await readMark(noticesReadPath(dir), 'lastReadId');
  let markWarned = false;
  const show = async (shown: LogEntry[]) => {
    for (const { notice, line } of shown) write((options.json ? line : listLine(notice)) + '\n');
    const highest = Math.max(read, ...shown.map((e) => e.notice.id));
    if (highest <= read) return;
    try {
      // 0644: whoever may read the notices may see which of them were read.
      await writeMark(noticesReadPath(dir), 'lastReadId', highest, 0o644);
      read = highest;
    } catch (err) {
      if (!markWarned) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        warn(`edgewatch-agent: cannot mark the notices read in ${dir} (${code}); status still counts them\n`);
      }
      markWarned = true;
    }
  };

  if (entries.length === 0) {
    // On stderr with --json, so a script reading stdout gets JSON lines only.
    const say = options.json ? warn : write;
    say(`edgewatch-agent: no notices yet (${path})${options.follow ? '; waiting for new ones, Ctrl-C to stop' : ''}\n`);
  }
  if (!options.follow) {
    await show(entries);
    return 0;
  }

  const signal = options.signal ?? stopSignal();
  // One show at a time, so the read mark is written in order.
  let showing = Promise.resolve();
  await followNoticeLog(path, (shown) => (showing = showing.then(() => show(shown))), { signal });
  await showing;
  return 0;
}

/** The state folder that has the notice log (or the status file, or the config cache), else the first candidate. */
async function noticesFolder(options: NoticesCommandOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const { dirs } = await stateFolders({ ...options, env });
  for (const dir of dirs) {
    const log = noticesLogPath(dir);
    for (const file of [log, rotatedPath(log), statusPath(dir), configCachePath(dir)])
      if (await fileIsThere(file)) return dir;
  }
  return dirs[0]!;
}

function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}
