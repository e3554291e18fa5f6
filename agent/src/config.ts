// zod/mini: the full zod build adds about 550 KiB to the agent bundle, mini about 25 KiB.
import { stat } from 'node:fs/promises';
import * as z from 'zod/mini';
import { ConfigError, defaultConfigPath, readConfigFile } from './config-file.ts';
import { logLevels } from './log.ts';
import { resolveSpoolDir, type SpoolDirSource } from './paths.ts';

export { ConfigError, defaultConfigPath, readConfigFile, writeConfigFile } from './config-file.ts';

/** Normalises an http(s) base URL (no trailing slash); undefined when it is not one. */
export function normalizeUrl(value: string): string | undefined {
  try {
    const u = new URL(value.trim());
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash) return undefined;
    return u.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

// What each field must be, where it can come from, and an example, for error messages.
const FIELDS = {
  url: {
    env: 'EDGEWATCH_URL',
    rule: 'must be the http(s) URL of the Edgewatch server',
    example: 'https://edgewatch.example.com',
  },
  deviceToken: {
    env: 'EDGEWATCH_TOKEN',
    rule: 'must be the device token written by `edgewatch-agent enroll`',
    example: '<device token>',
  },
  deviceId: { env: undefined, rule: 'must be the device id written by enrollment', example: '<device id>' },
  name: { env: undefined, rule: 'must be 1 to 200 characters', example: 'web-1' },
  intervalSeconds: { env: 'EDGEWATCH_INTERVAL', rule: 'must be a number of seconds from 1 to 3600', example: 10 },
  logLevel: { env: 'EDGEWATCH_LOG_LEVEL', rule: `must be one of ${logLevels.join(', ')}`, example: 'info' },
  spoolDir: {
    env: 'EDGEWATCH_SPOOL_DIR',
    rule: 'must be the path of a folder (the state folder: spool, status file, config cache)',
    example: '/var/lib/edgewatch',
  },
  spoolMaxBytes: {
    env: 'EDGEWATCH_SPOOL_MAX_BYTES',
    rule: 'must be a whole number of bytes from 1048576 (1 MiB) to 1099511627776 (1 TiB)',
    example: 67_108_864,
  },
  fsync: { env: 'EDGEWATCH_FSYNC', rule: 'must be one of always, batch, never', example: 'batch' },
  transport: { env: 'EDGEWATCH_TRANSPORT', rule: 'must be https or mqtt', example: 'https' },
  mqttProtocol: { env: 'EDGEWATCH_MQTT_PROTOCOL', rule: 'must be 4 (MQTT 3.1.1) or 5', example: 5 },
  configPollSeconds: {
    env: 'EDGEWATCH_CONFIG_POLL',
    rule: 'must be a number of seconds from 2 to 3600',
    example: 60,
  },
} as const;
type FieldName = keyof typeof FIELDS;

/** The agent's configuration, as the config file holds it (after defaults). */
export const agentConfigSchema = z.strictObject({
  url: z.pipe(
    z.string().check(z.refine((v) => normalizeUrl(v) !== undefined)),
    z.transform((v) => normalizeUrl(v)!),
  ),
  deviceToken: z.string().check(z.minLength(1)),
  deviceId: z.optional(z.string().check(z.minLength(1))),
  /** Device name given at enrollment; informational here. */
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  intervalSeconds: z._default(z.number().check(z.gte(1), z.lte(3600)), 10),
  logLevel: z._default(z.enum(logLevels), 'info'),
  /**
   * The state folder: disk spool, status file, config cache. `enroll`, `npm start` and
   * install.sh write it, so that `run`, `status` and `check` agree; relative to the config
   * file's folder. Unset: see resolveSpoolDir.
   */
  spoolDir: z.optional(
    z.string().check(
      z.minLength(1),
      z.refine((v) => !v.includes('\0')),
    ),
  ),
  spoolMaxBytes: z._default(z.int().check(z.gte(1024 * 1024), z.lte(1024 ** 4)), 64 * 1024 * 1024),
  fsync: z._default(z.enum(['always', 'batch', 'never']), 'batch'),
  transport: z._default(z.enum(['https', 'mqtt']), 'https'),
  mqttProtocol: z.optional(z.union([z.literal(4), z.literal(5)])),
  /**
   * How often the remote config (and with it host notices) is polled over HTTPS. Over MQTT the
   * platform pushes changes; the poll is only the backstop there.
   */
  configPollSeconds: z._default(z.number().check(z.gte(2), z.lte(3600)), 60),
});
/** The validated configuration; `spoolDir` is always resolved to an absolute path. */
export type AgentConfig = z.output<typeof agentConfigSchema> & { spoolDir: string };

export interface LoadConfigOptions {
  /** `--config`; else `$EDGEWATCH_CONFIG`; else the default path. An explicit path must exist. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads the config file, applies environment overrides (`EDGEWATCH_URL`, `EDGEWATCH_TOKEN`,
 * `EDGEWATCH_INTERVAL`, `EDGEWATCH_LOG_LEVEL`, `EDGEWATCH_SPOOL_DIR`,
 * `EDGEWATCH_SPOOL_MAX_BYTES`, `EDGEWATCH_FSYNC`, `EDGEWATCH_TRANSPORT`,
 * `EDGEWATCH_MQTT_PROTOCOL`, `EDGEWATCH_CONFIG_POLL`; empty means unset) and validates once.
 * Throws ConfigError naming each bad value, where it came from, and an example.
 */
export async function loadConfig(
  options: LoadConfigOptions = {},
): Promise<{ config: AgentConfig; path: string; spoolDirSource: SpoolDirSource }> {
  const env = options.env ?? process.env;
  const explicit = options.path ?? (env.EDGEWATCH_CONFIG || undefined);
  const path = explicit ?? defaultConfigPath(env);
  const file = await readConfigFile(path);
  if (!file && explicit) {
    throw new ConfigError(
      `config file ${path} does not exist. Create it with: edgewatch-agent enroll --url https://edgewatch.example.com --token <enrollment token> --config ${path}`,
    );
  }
  const raw: Record<string, unknown> = { ...file };
  const origin: Record<string, { env: string; text: string }> = {};
  for (const [key, field] of Object.entries(FIELDS)) {
    const text = field.env ? env[field.env] : undefined;
    if (!field.env || text === undefined || text === '') continue;
    raw[key] = typeof field.example === 'number' ? toNumber(text) : text;
    origin[key] = { env: field.env, text };
  }
  const parsed = agentConfigSchema.safeParse(raw);
  if (parsed.success) {
    const { dir: spoolDir, source } = resolveSpoolDir(path, parsed.data.spoolDir, env);
    if (await isNonFolder(spoolDir)) {
      const why =
        source === 'default'
          ? `the default state folder ${spoolDir} is not a folder: set "spoolDir": "/var/lib/edgewatch" in ${path}, or EDGEWATCH_SPOOL_DIR`
          : `${describe('spoolDir', raw.spoolDir, origin.spoolDir, path)}; ${spoolDir} is not a folder`;
      throw new ConfigError(`invalid configuration:\n  ${why}`);
    }
    return { config: { ...parsed.data, spoolDir }, path, spoolDirSource: source };
  }

  const lines = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      lines.set(`?${keys}`, `${path}: unknown field ${keys} (known fields: ${Object.keys(FIELDS).join(', ')})`);
      continue;
    }
    const key = String(issue.path[0]) as FieldName;
    if (FIELDS[key]) lines.set(key, describe(key, raw[key], origin[key], path));
  }
  throw new ConfigError(`invalid configuration:\n${[...lines.values()].map((l) => `  ${l}`).join('\n')}`);
}

function describe(
  key: FieldName,
  value: unknown,
  fromEnv: { env: string; text: string } | undefined,
  path: string,
): string {
  const field = FIELDS[key];
  const fileExample = `"${key}": ${JSON.stringify(field.example)} in ${path}`;
  const example = fromEnv ? `${fromEnv.env}=${field.example}` : fileExample;
  if (value === undefined) {
    const where = field.env ? `set ${fileExample}, or ${field.env}=${field.example}` : `set ${fileExample}`;
    const enroll = key === 'url' || key === 'deviceToken' ? '; `edgewatch-agent enroll` writes it' : '';
    return `${key} is not set: ${where}${enroll}`;
  }
  const got = fromEnv
    ? `${fromEnv.env}=${JSON.stringify(fromEnv.text)}`
    : `${path}: "${key}": ${JSON.stringify(value)}`;
  return `${got}: ${key} ${field.rule} (example: ${example})`;
}

// A missing folder is fine (the spool creates it); a file in its place would fail later, less clearly.
async function isNonFolder(path: string): Promise<boolean> {
  try {
    return !(await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

// Keeps the original text when it is not a number, so the error shows what was typed.
function toNumber(text: string): number | string {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}
