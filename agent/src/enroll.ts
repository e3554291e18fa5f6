import type { EnrollRequest, EnrollResponse } from '../../schema/wire/enroll.ts';
import { ConfigError, normalizeUrl, readConfigFile, writeConfigFile } from './config.ts';
import { defaultSpoolDir, resolveSpoolDir } from './paths.ts';
import { describeHttpError } from './transports/http-errors.ts';
import { AGENT_VERSION } from './version.ts';

/** Enrollment failed; `message` says why, for the operator. */
export class EnrollError extends Error {
  override name = 'EnrollError';
}

export interface EnrollOptions {
  /** Server base URL, e.g. `https://edgewatch.example.com`. */
  url: string;
  /** Enrollment token from the dashboard. */
  token: string;
  /** Device name shown in the dashboard. */
  name: string;
  /** Config file to write (mode 0600). Its other settings are kept. */
  configPath: string;
  /**
   * The state folder to record as `spoolDir` (relative: from the config file's folder). Default:
   * the file's own, else {@link defaultSpoolDir} as an absolute path, so that `run`, `status`
   * and `check` find the same folder whatever their environment. Given on an existing
   * enrollment, it is recorded without enrolling again.
   */
  spoolDir?: string;
  /** Enroll again even when the file already holds a device for this URL. */
  force?: boolean;
  /** Where the default state folder comes from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** What enroll did; `spoolDir` is the state folder the config now names, as an absolute path. */
export type EnrollOutcome =
  | { status: 'enrolled'; deviceId: string; orgId: string; configPath: string; spoolDir: string }
  | { status: 'already-enrolled'; deviceId: string; configPath: string; spoolDir: string; spoolDirChanged: boolean };

/**
 * `POST ${url}/v1/agents/enroll` and writes `{url, deviceId, deviceToken, name, spoolDir}` into
 * the config file. Spends no token when the file already has a device for the same URL, unless
 * `force` (it only records a new `spoolDir` then). Throws EnrollError or ConfigError with an
 * operator-facing message.
 */
export async function enroll(options: EnrollOptions): Promise<EnrollOutcome> {
  const url = normalizeUrl(options.url);
  if (!url)
    throw new EnrollError(
      `--url ${JSON.stringify(options.url)} is not an http(s) URL (example: --url https://edgewatch.example.com)`,
    );

  let existing: Record<string, unknown> | undefined;
  try {
    existing = await readConfigFile(options.configPath);
  } catch (err) {
    // A broken file is worth a stop, unless the operator asked to overwrite it.
    if (!(err instanceof ConfigError) || !options.force) throw err;
  }
  const existingId = typeof existing?.deviceId === 'string' ? existing.deviceId : undefined;
  const existingUrl = typeof existing?.url === 'string' ? normalizeUrl(existing.url) : undefined;
  const existingSpool = typeof existing?.spoolDir === 'string' && existing.spoolDir ? existing.spoolDir : undefined;
  const spoolDir = options.spoolDir ?? existingSpool ?? defaultSpoolDir(options.env);
  // The state folder the config names; not the environment's override, which is per process.
  const absolute = (value: string) => resolveSpoolDir(options.configPath, value, { EDGEWATCH_SPOOL_DIR: '' }).dir;
  if (existingId && existingUrl === url && !options.force) {
    const spoolDirChanged = options.spoolDir !== undefined && options.spoolDir !== existingSpool;
    if (spoolDirChanged) await writeConfigFile(options.configPath, { ...existing, spoolDir });
    return {
      status: 'already-enrolled',
      deviceId: existingId,
      configPath: options.configPath,
      spoolDir: absolute(spoolDir),
      spoolDirChanged,
    };
  }

  const request: EnrollRequest = {
    token: options.token,
    name: options.name,
    // No kind: the enrollment token's applies (a gateway token makes a gateway).
    agentVersion: AGENT_VERSION,
  };
  const endpoint = `${url}/v1/agents/enroll`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `edgewatch-agent/${AGENT_VERSION}` },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new EnrollError(`could not reach ${endpoint}: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`);
  }
  if (!res.ok) {
    throw new EnrollError(
      `enrollment refused by ${endpoint}: ${describeHttpError(res.status, res.statusText, text).reason}`,
    );
  }
  const body = parseResponse(text);
  if (!body) throw new EnrollError(`unexpected answer from ${endpoint} (${res.status}): ${text.slice(0, 200)}`);

  await writeConfigFile(options.configPath, {
    ...existing,
    url,
    deviceId: body.deviceId,
    deviceToken: body.deviceToken,
    name: options.name,
    spoolDir,
  });
  return {
    status: 'enrolled',
    deviceId: body.deviceId,
    orgId: body.orgId,
    configPath: options.configPath,
    spoolDir: absolute(spoolDir),
  };
}

function parseResponse(text: string): EnrollResponse | undefined {
  try {
    const v = JSON.parse(text) as Partial<EnrollResponse>;
    if (typeof v.deviceId === 'string' && typeof v.deviceToken === 'string' && v.deviceToken !== '')
      return v as EnrollResponse;
  } catch {
    // Falls through: not the Worker's answer.
  }
  return undefined;
}
