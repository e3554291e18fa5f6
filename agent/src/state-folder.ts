import { resolve } from 'node:path';
import { defaultConfigPath, readConfigFile } from './config-file.ts';
import { resolveSpoolDir } from './paths.ts';

/** Where the commands that read the running agent's files (`status`, `notices`) look. */
export interface StateFolders {
  /** In order; the first that has the file asked for is the agent's. */
  dirs: string[];
  /** The config file's device, when it names one. */
  deviceId: string | undefined;
}

/**
 * `--spool-dir` when given; else the state folder the config names (or the environment
 * overrides), as `run` resolves it; only when neither names one, the default, then the
 * systemd unit's.
 */
export async function stateFolders(options: {
  configPath?: string;
  spoolDir?: string;
  env: NodeJS.ProcessEnv;
}): Promise<StateFolders> {
  if (options.spoolDir) return { dirs: [resolve(options.spoolDir)], deviceId: undefined };
  const { env } = options;
  const path = options.configPath ?? (env.EDGEWATCH_CONFIG || defaultConfigPath(env));
  let file: Record<string, unknown> | undefined;
  try {
    file = await readConfigFile(path);
  } catch {
    // A broken config file does not stop us from finding a running agent.
  }
  const deviceId = typeof file?.deviceId === 'string' ? file.deviceId : undefined;
  const { dir, source } = resolveSpoolDir(path, file?.spoolDir, env);
  return { dirs: source === 'default' ? [...new Set([dir, '/var/lib/edgewatch'])] : [dir], deviceId };
}
