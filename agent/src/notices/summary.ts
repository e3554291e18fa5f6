import { noticesLogPath, noticesReadPath } from '../paths.ts';
import { readNoticeLog } from './log.ts';
import { readMark } from './marks.ts';

/** What `status` says about notices. */
export interface NoticeSummary {
  /** Notices that an incident fired or escalated, above the id `notices` last showed. */
  unreadFiring: number;
  /** The highest id in the log; null when it holds none. */
  lastId: number | null;
}

/** Counts unread firing notices in a state folder; a missing or unreadable log counts none. */
export async function noticeSummary(dir: string): Promise<NoticeSummary> {
  const [entries, read] = await Promise.all([
    readNoticeLog(noticesLogPath(dir)).catch(() => []),
    readMark(noticesReadPath(dir), 'lastReadId'),
  ]);
  const unread = entries.filter((e) => e.notice.id > read);
  return {
    unreadFiring: unread.filter((e) => e.notice.transition === 'firing' || e.notice.transition === 'escalated').length,
    lastId: entries.length ? Math.max(...entries.map((e) => e.notice.id)) : null,
  };
}
