import { remoteAgentConfig, type RemoteAgentConfig } from '../../schema/wire/agent-config.ts';
import { hostNotice, MAX_NOTICES_SENT, type HostNotice } from '../../schema/wire/notices.ts';
import { describeHttpError } from './transports/http-errors.ts';
import { HttpRequestError, httpRequest, type HttpResponse } from './transports/http-request.ts';
import { AGENT_VERSION } from './version.ts';

/** Outcome of one `GET /v1/agents/config`; nothing is thrown for network or HTTP failures. */
export type FetchConfigResult =
  | {
      kind: 'ok';
      config: RemoteAgentConfig;
      etag?: string;
      /** Absent when the server sent none (a server from before host notices). */
      notices?: ParsedNotices;
    }
  /** 304: the config is still the one with the ETag sent. */
  | { kind: 'not-modified' }
  /** `status` is absent for network errors; `invalid` when the server's answer failed validation. */
  | { kind: 'error'; reason: string; status?: number; invalid?: boolean };

export interface FetchConfigOptions {
  /** Worker base URL. */
  url: string;
  deviceToken: string;
  /** Sent as `If-None-Match`. */
  etag?: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Fetches this device's remote config, validating it with the shared `remoteAgentConfig` schema. */
export async function fetchRemoteConfig(options: FetchConfigOptions): Promise<FetchConfigResult> {
  const endpoint = new URL('v1/agents/config', options.url.endsWith('/') ? options.url : `${options.url}/`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.deviceToken}`,
    accept: 'application/json',
    'user-agent': `edgewatch-agent/${AGENT_VERSION}`,
  };
  if (options.etag) headers['if-none-match'] = options.etag;

  let res: HttpResponse;
  try {
    res = await httpRequest(endpoint, { headers, timeoutMs, signal: options.signal });
  } catch (err) {
    if (err instanceof HttpRequestError) return { kind: 'error', reason: err.reason };
    throw err;
  }
  const text = res.text;
  if (res.status === 304) return { kind: 'not-modified' };
  if (!res.ok)
    return { kind: 'error', status: res.status, reason: describeHttpError(res.status, res.statusText, text).reason };

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'error', status: res.status, invalid: true, reason: `${res.status} answer is not JSON` };
  }
  const answer = body as { config?: unknown; notices?: unknown } | null;
  const parsed = parseRemoteConfig(answer?.config);
  if (!parsed.ok) return { kind: 'error', status: res.status, invalid: true, reason: parsed.reason };
  const etag = res.header('etag');
  const notices = parseNotices(answer?.notices);
  return {
    kind: 'ok',
    config: parsed.config,
    ...(etag ? { etag } : {}),
    ...(notices ? { notices } : {}),
  };
}

/**
 * The host notices beside a config: those usable, and why any were left out (`skipped`); or,
 * when the list itself is not one (`ok: false`), why it was ignored. The config stays good.
 */
export type ParsedNotices = { ok: true; notices: HostNotice[]; skipped?: string } | { ok: false; reason: string };

/**
 * Validates the host notices beside a config, one by one: a notice this agent cannot read (a
 * later platform's new transition, say) is left out rather than costing it the others.
 * Undefined when there are none (`undefined`, as an older server sends), which means "nothing
 * new" rather than an empty list.
 */
export function parseNotices(value: unknown): ParsedNotices | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_NOTICES_SENT) {
    return { ok: false, reason: `invalid notices: expected a list of at most ${MAX_NOTICES_SENT}` };
  }
  const notices: HostNotice[] = [];
  const issues: string[] = [];
  for (const [i, item] of value.entries()) {
    const one = hostNotice.safeParse(item);
    if (one.success) notices.push(one.data);
    else issues.push(`${[i, ...one.error.issues[0]!.path].join('.')}: ${one.error.issues[0]!.message}`);
  }
  return issues.length === 0
    ? { ok: true, notices }
    : { ok: true, notices, skipped: `invalid notices left out: ${issues.slice(0, 3).join('; ')}` };
}

/** Validates a remote config; `reason` names the first bad fields, e.g. `probes.0.url: …`. */
export function parseRemoteConfig(
  value: unknown,
): { ok: true; config: RemoteAgentConfig } | { ok: false; reason: string } {
  const parsed = remoteAgentConfig.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
  return { ok: false, reason: `invalid remote config: ${issues.join('; ')}` };
}
