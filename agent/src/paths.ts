import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the agent keeps its spool, status file and config cache when `spoolDir` is not set:
 * systemd's `$STATE_DIRECTORY` (the unit's `StateDirectory=`; the first one when it lists
 * several), else `$XDG_STATE_HOME/edgewatch`, else `~/.local/state/edgewatch`.
 */
export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd) return systemd;
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'edgewatch');
}

/** The status file the running agent rewrites every few seconds. */
export const statusPath = (spoolDir: string): string => join(spoolDir, 'status.json');

/** The last good remote config, kept for a restart while the server is unreachable. */
export const configCachePath = (spoolDir: string): string => join(spoolDir, 'remote-config.json');
