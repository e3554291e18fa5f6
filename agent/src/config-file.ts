import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** A configuration problem; `message` is written for the operator and names the bad value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `$EDGEWATCH_CONFIG`, else `$XDG_CONFIG_HOME/edgewatch/agent.json` (default `~/.config/…`). */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGEWATCH_CONFIG) return env.EDGEWATCH_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'edgewatch', 'agent.json');
}

/** Reads a JSON config file. Undefined when it does not exist; ConfigError when it is not a JSON object. */
export async function readConfigFile(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid JSON (${(err as Error).message}). Example: ${EXAMPLE_FILE}`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`config file ${path} must hold a JSON object. Example: ${EXAMPLE_FILE}`);
  }
  return data as Record<string, unknown>;
}

/**
 * Writes the config file atomically (temp file + rename) with mode 0600, since it holds the
 * device token, creating its directory with mode 0700 when missing.
 */
export async function writeConfigFile(path: string, data: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    // writeFile's mode only applies to a new file; a leftover temp file keeps its old mode.
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A minimal valid config file, quoted in error messages. */
export const EXAMPLE_FILE =
  '{"url": "https://edgewatch.example.com", "deviceId": "dev_…", "deviceToken": "…", "intervalSeconds": 10, "logLevel": "info"}';
