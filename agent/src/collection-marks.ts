import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.ts';
import type { Logger } from './log.ts';

/**
 * When each collector last queued samples (ms since the epoch), from the file a previous run
 * left. Empty when there is none or it cannot be read: at worst a restart then samples one
 * interval twice, which is what happened before marks existed.
 */
export async function readCollectionMarks(path: string): Promise<Map<string, number>> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof data !== 'object' || data === null) return new Map();
    return new Map(
      Object.entries(data).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])),
    );
  } catch {
    return new Map();
  }
}

/** Keeps the marks file up to date; see {@link createCollectionMarks}. */
export interface CollectionMarks {
  /** Records that `name` queued samples at `at`; written soon, one write at a time. */
  mark(name: string, at: number): void;
  /** Resolves when every mark so far is on disk. */
  flush(): Promise<void>;
}

/**
 * Persists collection marks to `path` (atomically), starting from `initial`. Writes follow
 * marks at once rather than on a timer, so a crash right after a collection still leaves its
 * mark; marks made during a write are written together by the next one.
 */
export function createCollectionMarks(
  path: string,
  initial: ReadonlyMap<string, number>,
  log: Logger,
): CollectionMarks {
  const marks = new Map(initial);
  let writing: Promise<void> | undefined;
  let dirty = false;

  const write = (): Promise<void> => {
    dirty = false;
    return writeFileAtomic(path, JSON.stringify(Object.fromEntries(marks)) + '\n').catch((err: unknown) =>
      log.warn('could not record collection times; a restart may sample an interval twice', { path, err }),
    );
  };
  const pump = () => {
    if (writing) return;
    writing = (async () => {
      while (dirty) await write();
      writing = undefined;
    })();
  };

  return {
    mark(name, at) {
      marks.set(name, at);
      dirty = true;
      pump();
    },
    async flush() {
      while (writing) await writing;
    },
  };
}
