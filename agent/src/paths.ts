import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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

/** Where a state folder setting came from, in the order the agent lets them win. */
export type SpoolDirSource = 'env' | 'file' | 'default';

/**
 * The state folder the agent uses for a config file: `$EDGEWATCH_SPOOL_DIR` (relative to the
 * working directory), else the file's `spoolDir` (relative to the file's folder), else
 * {@link defaultSpoolDir}. Every subcommand resolves it here, so they agree.
 */
export function resolveSpoolDir(
  configPath: string,
  fileValue: unknown,
  env: NodeJS.ProcessEnv = process.env,
): { dir: string; source: SpoolDirSource } {
  if (env.EDGEWATCH_SPOOL_DIR) return { dir: resolve(env.EDGEWATCH_SPOOL_DIR), source: 'env' };
  if (typeof fileValue === 'string' && fileValue !== '') {
    return { dir: resolve(dirname(configPath), fileValue), source: 'file' };
  }
  return { dir: defaultSpoolDir(env), source: 'default' };
}

/** The status file the running agent rewrites every few seconds. */
export const statusPath = (spoolDir: string): string => join(spoolDir, 'status.json');

/** The last good remote config, kept for a restart while the server is unreachable. */
export const configCachePath = (spoolDir: string): string => join(spoolDir, 'remote-config.json');

/** When each collector last ran, so a restart does not sample an interval twice. */
export const collectionMarksPath = (spoolDir: string): string => join(spoolDir, 'last-collection.json');

/** Host notices as delivered, one JSON line each; rotated to `notices.jsonl.1` (docs/agent.md, "Notices on the host"). */
export const noticesLogPath = (spoolDir: string): string => join(spoolDir, 'notices.jsonl');

/** The highest notice id the agent delivered, so none is shown twice across restarts. */
export const noticesStatePath = (spoolDir: string): string => join(spoolDir, 'notices-state.json');

/** The highest notice id `edgewatch-agent notices` showed; `status` counts unread ones above it. */
export const noticesReadPath = (spoolDir: string): string => join(spoolDir, 'notices-read.json');
