import type { LogFields, Logger } from '../log.ts';

/** Logs targets (an NTP server, a probe) going down and coming back, once each way. */
export interface OutageLog {
  down(key: string, msg: string, fields?: LogFields): void;
  up(key: string, msg: string, fields?: LogFields): void;
}

/**
 * A target that stays down is logged once at warn and then at debug on every later failure,
 * so a dead endpoint probed every 30 s does not flood the log; recovery is logged at info.
 */
export function createOutageLog(log: Logger | undefined): OutageLog {
  const failing = new Set<string>();
  return {
    down(key, msg, fields) {
      if (failing.has(key)) log?.debug(msg, fields);
      else log?.warn(msg, fields);
      failing.add(key);
    },
    up(key, msg, fields) {
      if (failing.delete(key)) log?.info(msg, fields);
    },
  };
}
