import type { HostNotice, NoticeOutputs } from '../../../schema/wire/notices.ts';
import type { Logger } from '../log.ts';
import { noticesLogPath, noticesStatePath } from '../paths.ts';
import { openNoticeLog, type NoticeLog } from './log.ts';
import { readMark, writeMark } from './marks.ts';
import { createNoticeOutputs } from './outputs.ts';

export interface NoticeDeliveryOptions {
  /** The state folder: `notices.jsonl` and `notices-state.json` go there. */
  dir: string;
  log: Logger;
  /** The outputs the config in force asks for, read at each delivery. */
  outputs(): NoticeOutputs;
  /** Environment of `wall` and `systemd-cat`, whose PATH finds them. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Bound of each log file. Default 256 KiB. */
  maxLogBytes?: number;
  /** How long `wall` or `systemd-cat` may run. Default 5 000 ms. */
  timeoutMs?: number;
}

/** Delivers host notices once each; see {@link createNoticeDelivery}. */
export interface NoticeDelivery {
  /** Queues the server's list and returns at once; ids at or below the last delivered are skipped. */
  deliver(notices: HostNotice[]): void;
  /** Resolves once everything queued so far is logged and shown. */
  flush(): Promise<void>;
  /** Takes no more lists, then flushes. */
  stop(): Promise<void>;
}

/**
 * Logs each notice whose id is above the last delivered (ascending, once), records the new last
 * id, then shows the notices with `wall` and in the journal as the config asks. Lists are worked
 * through one after another on a promise chain of their own, so a slow terminal or disk never
 * holds collection or shipping; nothing here throws to the caller.
 */
export function createNoticeDelivery(options: NoticeDeliveryOptions): NoticeDelivery {
  const { log } = options;
  const statePath = noticesStatePath(options.dir);
  const outputs = createNoticeOutputs({ log, env: options.env, timeoutMs: options.timeoutMs });
  let chain = Promise.resolve();
  let stopped = false;
  let opening: Promise<{ file: NoticeLog; lastId: number }> | undefined;

  const open = async () => {
    const file = await openNoticeLog(noticesLogPath(options.dir), options.maxLogBytes);
    // A crash between the log append and the state write leaves the log ahead: it counts too.
    return { file, lastId: Math.max(await readMark(statePath, 'lastDeliveredId'), file.highestId) };
  };

  const deliverNow = async (notices: HostNotice[]) => {
    const state = await (opening ??= open().catch((err: unknown) => {
      opening = undefined;
      throw err;
    }));
    const byId = new Map(notices.filter((n) => n.id > state.lastId).map((n) => [n.id, n]));
    const fresh = [...byId.values()].sort((a, b) => a.id - b.id);
    const delivered: HostNotice[] = [];
    const deliveredAt = Date.now();
    for (const notice of fresh) {
      try {
        await state.file.append({ ...notice, deliveredAt });
      } catch (err) {
        // Not logged, not shown: the server sends its newest notices again with the next change.
        log.warn('could not write the notice log; notices not delivered', { ids: fresh.map((n) => n.id), err });
        break;
      }
      state.lastId = notice.id;
      delivered.push(notice);
    }
    if (delivered.length === 0) return;
    // A failed write costs no repeat yet: the log holds them, and the next start takes its highest id too.
    await writeMark(statePath, 'lastDeliveredId', state.lastId).catch((err: unknown) =>
      log.warn('could not record the last delivered notice', { path: statePath, err }),
    );
    const enabled = options.outputs();
    log.info('host notices delivered', {
      ids: delivered.map((n) => n.id),
      wall: enabled.wall,
      journal: enabled.journal,
    });
    await outputs.show(delivered, enabled);
  };

  return {
    deliver(notices) {
      if (stopped || notices.length === 0) return;
      chain = chain
        .then(() => deliverNow(notices))
        .catch((err: unknown) => log.warn('host notices not delivered', { err }));
    },
    flush: () => chain,
    async stop() {
      stopped = true;
      await chain;
    },
  };
}
