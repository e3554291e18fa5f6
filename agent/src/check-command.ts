import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXAMPLE_URL } from './cli-help.ts';
import { ConfigError, loadConfig, type AgentConfig } from './config.ts';
import type { SpoolDirSource } from './paths.ts';
import { fetchRemoteConfig } from './remote-config-fetch.ts';

export interface CheckCommandOptions {
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  write?: (text: string) => void;
  /** Per request. Default 5 000 ms. */
  timeoutMs?: number;
}

interface Step {
  ok: boolean;
  text: string;
  hint?: string;
}

/**
 * `edgewatch-agent check`: the config, the spool directory, `GET /health`, then the device
 * token against `GET /v1/agents/config`. Prints each step; 0 when all passed, else 1.
 */
export async function checkCommand(options: CheckCommandOptions = {}): Promise<number> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const timeoutMs = options.timeoutMs ?? 5_000;
  let failed = false;
  const report = (name: string, step: Step) => {
    failed ||= !step.ok;
    write(`${step.ok ? '✓' : '✗'} ${name}: ${step.text}\n${step.hint ? `    hint: ${step.hint}\n` : ''}`);
  };

  let config: AgentConfig;
  let path: string;
  let source: SpoolDirSource;
  try {
    ({ config, path, spoolDirSource: source } = await loadConfig({ path: options.configPath, env: options.env }));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report('config', {
      ok: false,
      text: err.message,
      hint: `enroll writes a valid config: edgewatch-agent enroll --url ${EXAMPLE_URL} --token <enrollment token>`,
    });
    return 1;
  }
  report('config', {
    ok: true,
    text: `${path} is valid (server ${config.url}${config.deviceId ? `, device ${config.deviceId}` : ''}, transport ${config.transport})`,
  });
  report('spool', await checkWritable(config.spoolDir, source, path));

  const health = await get(`${config.url}/health`, timeoutMs);
  if ('error' in health) {
    report('server', {
      ok: false,
      text: `cannot reach ${config.url}/health: ${health.error}`,
      hint: `check "url" in ${path} (or EDGEWATCH_URL), that the server runs, and any proxy or firewall between`,
    });
    return 1;
  }
  report('server', {
    ok: health.status === 200,
    text: `${config.url}/health answered ${health.status} in ${health.ms} ms`,
    ...(health.status === 200 ? {} : { hint: 'the server answers but is not healthy; see its logs' }),
  });

  const remote = await fetchRemoteConfig({ url: config.url, deviceToken: config.deviceToken, timeoutMs });
  if (remote.kind === 'ok') {
    const c = remote.config;
    report('device', {
      ok: true,
      text: `token accepted; remote config ${remote.etag ?? '(no ETag)'}: ${c.probes.length} probes, ${c.processes.length} process watches, ${c.disabled.length} collectors disabled`,
    });
  } else if (remote.kind === 'not-modified') {
    report('device', { ok: true, text: 'token accepted (304)' });
  } else {
    const refused = remote.status === 401 || remote.status === 403;
    report('device', {
      ok: false,
      text: refused ? `device token refused: ${remote.reason}` : `GET /v1/agents/config failed: ${remote.reason}`,
      hint: refused
        ? `the device may have been revoked; enroll again: edgewatch-agent enroll --url ${config.url} --token <enrollment token> --force`
        : remote.invalid
          ? 'the server sent a config this agent version does not understand; upgrade the agent'
          : remote.status === 404
            ? 'is the URL the Edgewatch server itself (not a proxy path or the dashboard)?'
            : 'see the server logs',
    });
  }
  return failed ? 1 : 0;
}

const FROM: Record<SpoolDirSource, string> = {
  file: '"spoolDir" in the config file',
  env: 'EDGEWATCH_SPOOL_DIR',
  default: 'the default: the config file names none',
};

async function checkWritable(dir: string, source: SpoolDirSource, path: string): Promise<Step> {
  const probe = join(dir, `.check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
    return {
      ok: true,
      text: `${dir} is writable (state folder, from ${FROM[source]})`,
      // Without it, status run in another environment (sudo, another shell) looks elsewhere.
      ...(source === 'default'
        ? { hint: `record it so every command agrees: add "spoolDir": ${JSON.stringify(dir)} to ${path}` }
        : {}),
    };
  } catch (err) {
    return {
      ok: false,
      text: `${dir} is not writable: ${(err as Error).message}`,
      hint: 'set "spoolDir" in the config file or EDGEWATCH_SPOOL_DIR to a directory this user can write',
    };
  }
}

async function get(url: string, timeoutMs: number): Promise<{ status: number; ms: number } | { error: string }> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { status: res.status, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return { error: `no answer within ${timeoutMs} ms` };
    const cause = e.cause?.code ?? e.cause?.message;
    return { error: cause ? `${e.message} (${cause})` : e.message };
  }
}
