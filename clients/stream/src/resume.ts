import type { ResumePoint, WelcomeFrame } from './protocol.ts';

/**
 * The last (epoch, seq) seen, which a reconnect sends in `hello.resume`, and the duplicate
 * filter that goes with it: a resumed server replays seq > resume.seq, so a frame at or below
 * the resume point of the same epoch was delivered before and is dropped. Above it the server
 * is trusted: per-subscription replays may interleave, so seqs need not rise within a connection.
 */
export interface ResumeTracker {
  /** What to send in the next hello, if anything was ever seen. */
  point(): ResumePoint | undefined;
  /** Records a welcome; returns true when a resume was asked for and not granted. */
  welcome(frame: WelcomeFrame): boolean;
  /** Records a data or event frame; returns false for a duplicate, which should be dropped. */
  accept(epoch: string, seq: number): boolean;
}

/** `from` starts it at a saved point, e.g. one persisted by a previous process. */
export function resumeTracker(from?: ResumePoint): ResumeTracker {
  let last: ResumePoint | undefined = from && { ...from };
  let floor: ResumePoint | undefined;
  return {
    point: () => (last ? { ...last } : undefined),
    welcome(frame) {
      const asked = last !== undefined;
      if (frame.resumed === true && last?.epoch === frame.epoch) {
        floor = { ...last };
        return false;
      }
      // Not resumed: count from where the server is now; nothing older will come.
      floor = undefined;
      last = { epoch: frame.epoch, seq: frame.seq };
      return asked;
    },
    accept(epoch, seq) {
      if (floor && floor.epoch === epoch && seq <= floor.seq) return false;
      if (!last || last.epoch !== epoch) last = { epoch, seq };
      else last.seq = Math.max(last.seq, seq);
      return true;
    },
  };
}
