import { readFile } from 'node:fs/promises';
import type { RemoteAgentConfig } from '../../schema/wire/agent-config.ts';
import type { HostNotice } from '../../schema/wire/notices.ts';
import { writeFileAtomic } from './atomic-file.ts';
import type { Logger } from './log.ts';
import { fetchRemoteConfig, parseNotices, parseRemoteConfig, type ParsedNotices } from './remote-config-fetch.ts';

/** Where the config in force came from. */
export type ConfigSource = 'poll' | 'push' | 'cache';

/** The remote config in force. */
export interface AppliedConfig {
  config: RemoteAgentConfig;
  etag?: string;
  source: ConfigSource;
  /** Epoch ms. */
  appliedAt: number;
}

export interface ConfigPollerOptions {
  url: string;
  deviceToken: string;
  log: Logger;
  /** Called with each new config (not for a 304 or an identical one). Must not throw. */
  apply(applied: AppliedConfig): void;
  /**
   * Called with the host notices of each answer (200) or push that carries a valid list, after
   * its config was applied, and even when the config itself did not change: the list is the
   * server's newest notices, and the caller keeps which it delivered. Must not throw.
   */
  onNotices?(notices: HostNotice[]): void;
  /** Default 60 000 ms, with ±10 % jitter so a fleet restarted together spreads out. */
  intervalMs?: number;
  /** Per request. Default 10 000 ms. */
  timeoutMs?: number;
  /** Where the last good config is kept, so a restart while the server is down keeps the probes. */
  cachePath?: string;
}

/** Keeps the agent's remote config current; see {@link createConfigPoller}. */
export interface ConfigPoller {
  /**
   * Applies the cached config, if any, then polls now and every interval. Resolves after the
   * first poll, or after `waitMs` (default 3 000) if the server is slow, whichever comes first.
   */
  start(options?: { waitMs?: number }): Promise<void>;
  /** One poll now. Resolves true when it applied a new config. */
  poll(): Promise<boolean>;
  /**
   * A config pushed by the server (the MQTT config topic): `{etag, config, notices?}`, a bare
   * config, or their JSON text. Invalid or unrecognised payloads are logged and answered with a
   * poll; invalid notices beside a good config are logged and ignored.
   */
  push(payload: unknown): void;
  current(): AppliedConfig | undefined;
  stop(): void;
}

/**
 * Polls `GET /v1/agents/config` with `If-None-Match`, applies each config that differs from the
 * one in force, and keeps the last good one through errors and invalid answers.
 */
export function createConfigPoller(options: ConfigPollerOptions): ConfigPoller {
  const { log } = options;
  const intervalMs = options.intervalMs ?? 60_000;
  let applied: AppliedConfig | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing = false;
  let answered = false;
  let polling: Promise<boolean> | undefined;

  const use = (config: RemoteAgentConfig, etag: string | undefined, source: ConfigSource): boolean => {
    if (applied && JSON.stringify(applied.config) === JSON.stringify(config)) {
      // Same content under a new ETag (e.g. a no-op edit): remember the ETag, change nothing.
      if (etag) applied.etag = etag;
      return false;
    }
    applied = { config, source, appliedAt: Date.now(), ...(etag ? { etag } : {}) };
    options.apply(applied);
    if (options.cachePath && source !== 'cache') {
      writeFileAtomic(options.cachePath, JSON.stringify({ etag, config }) + '\n').catch((err: unknown) =>
        log.warn('could not cache the remote config', { path: options.cachePath, err }),
      );
    }
    return true;
  };

  const pollOnce = async (): Promise<boolean> => {
    // No ETag until one poll has answered: a 304 carries no host notices, and those a crash or
    // stop cut short must come again after a restart (delivery drops the ones already shown).
    const result = await fetchRemoteConfig({ ...options, etag: answered ? applied?.etag : undefined });
    if (result.kind === 'error') {
      const fields = { status: result.status, reason: result.reason, keeping: applied?.etag ?? 'defaults' };
      if (result.status === 401 || result.status === 403)
        log.error('remote config refused: device token not accepted', fields);
      else if (!failing) log.warn('could not fetch remote config; keeping the current one', fields);
      else log.debug('remote config still unavailable', fields);
      failing = true;
      return false;
    }
    if (failing) log.info('remote config reachable again');
    failing = false;
    answered = true;
    if (result.kind !== 'ok') return false;
    const changed = use(result.config, result.etag, 'poll');
    handOver(result.notices);
    return changed;
  };

  /** Notices, or why the ones sent were not usable: a bad list never costs the config. */
  const handOver = (parsed: ParsedNotices | undefined) => {
    if (!parsed) return;
    if (!parsed.ok) return log.warn('host notices not usable; ignoring them', { reason: parsed.reason });
    if (parsed.skipped) log.warn('some host notices not usable; showing the others', { reason: parsed.skipped });
    options.onNotices?.(parsed.notices);
  };

  const poll = () => {
    // One request at a time: a push arriving mid-poll must not race it with an older answer.
    polling ??= pollOnce().finally(() => (polling = undefined));
    return polling;
  };

  const loop = () => {
    if (stopped) return;
    const jitter = 1 + (Math.random() - 0.5) * 0.2;
    timer = setTimeout(() => void poll().finally(loop), intervalMs * jitter);
    timer.unref?.();
  };

  return {
    async start({ waitMs = 3_000 } = {}) {
      const cached = options.cachePath ? await readCache(options.cachePath) : undefined;
      // A config pushed while the cache was read is newer than the cache.
      if (cached && !applied) use(cached.config, cached.etag, 'cache');
      const first = poll().finally(loop);
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([first, new Promise<void>((r) => (wait = setTimeout(r, waitMs)))]);
      clearTimeout(wait);
    },
    poll,
    push(payload) {
      const data = decode(payload);
      const wrapped =
        data && typeof data === 'object' && 'config' in data
          ? (data as { config: unknown; etag?: unknown; notices?: unknown })
          : undefined;
      const parsed = parseRemoteConfig(wrapped ? wrapped.config : data);
      if (!parsed.ok) {
        log.warn('pushed config is not usable; polling instead', { reason: parsed.reason });
        void poll();
        return;
      }
      // A push is a whole answer (config and notices), as a poll's 200 is.
      answered = true;
      use(parsed.config, typeof wrapped?.etag === 'string' ? wrapped.etag : undefined, 'push');
      handOver(parseNotices(wrapped?.notices));
    },
    current: () => applied,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function decode(payload: unknown): unknown {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) return payload;
  try {
    return JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
}

async function readCache(path: string): Promise<{ config: RemoteAgentConfig; etag?: string } | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as { etag?: unknown; config?: unknown };
    const parsed = parseRemoteConfig(data.config);
    if (!parsed.ok) return undefined;
    return { config: parsed.config, ...(typeof data.etag === 'string' ? { etag: data.etag } : {}) };
  } catch {
    return undefined;
  }
}
