import { DEFAULT_AGENT_CONFIG } from '../../schema/wire/agent-config.ts';
import { createCollectorPlan } from './collectors/plan.ts';
import { ConfigError, type AgentConfig } from './config.ts';
import type { Logger } from './log.ts';
import { createCollectionMarks, readCollectionMarks } from './collection-marks.ts';
import { collectionMarksPath, configCachePath, statusPath } from './paths.ts';
import { createConfigPoller, type AppliedConfig, type ConfigPoller } from './remote-config.ts';
import { startCollectors, type Scheduler } from './scheduler.ts';
import { createShipper, type Shipper } from './shipper.ts';
import { createDiskSpool } from './spool/disk.ts';
import type { Spool, SpoolStats } from './spool/types.ts';
import { createStatusWriter, type AgentStatus } from './status-file.ts';
import { createTransport } from './transports/select.ts';
import type { Transport } from './transports/types.ts';
import { AGENT_VERSION } from './version.ts';

export interface StartAgentOptions {
  log: Logger;
  /** Default: the disk spool in `config.spoolDir`. Tests pass a memory spool. */
  spool?: Spool;
  /** Default: the one `config.transport` names. */
  transport?: Transport;
  /** Remote config poll period. Default 60 000 ms. */
  configPollMs?: number;
  /** Status file rewrite period. Default 5 000 ms. */
  statusIntervalMs?: number;
}

/** A started agent: its parts, for logs and tests, and `stop`. */
export interface RunningAgent {
  spool: Spool;
  transport: Transport;
  shipper: Shipper;
  scheduler: Scheduler;
  poller: ConfigPoller;
  /**
   * Stops collecting and polling, ships for up to `flushMs`, closes the transport and the
   * spool. `stats` is the spool's, taken before it closed.
   */
  stop(options?: { flushMs?: number }): Promise<{ flushed: boolean; stats: SpoolStats }>;
}

/**
 * Wires the agent: spool → shipper → transport, the collectors the remote config asks for
 * (the cached or default config first, then each new one applied without a restart), and the
 * status file next to the spool.
 */
export async function startAgent(config: AgentConfig, options: StartAgentOptions): Promise<RunningAgent> {
  const { log } = options;
  const startedAt = new Date().toISOString();
  // Filled in once the collectors start; a config arriving before that is used for their first build.
  const live: { scheduler?: Scheduler } = {};
  const onConfig = (applied: AppliedConfig) => {
    const c = applied.config;
    const summary = {
      source: applied.source,
      etag: applied.etag,
      intervals: c.intervals,
      disabled: c.disabled,
      probes: c.probes.map((p) => p.name),
      processes: c.processes.map((p) => p.name),
      ntp: `${c.ntp.server}:${c.ntp.port}`,
    };
    if (!live.scheduler) return log.info('remote config loaded', summary);
    const change = live.scheduler.reconfigure(plan.build(c));
    log.info('remote config applied', { ...summary, ...change, kept: undefined });
  };
  const poller = createConfigPoller({
    url: config.url,
    deviceToken: config.deviceToken,
    log: log.child({ component: 'config' }),
    apply: onConfig,
    intervalMs: options.configPollMs,
    cachePath: configCachePath(config.spoolDir),
  });

  const transport =
    options.transport ??
    createTransport(config, { log: log.child({ component: 'transport' }), onConfig: (p) => poller.push(p) });
  // Opened after the transport is chosen, so a config error leaves no spool open behind it.
  const spool = options.spool ?? (await openSpool(config, log));
  // Not awaited: a server that is down must not delay collection; sends wait and retry.
  transport.connect().catch((err: unknown) => log.warn('transport not connected yet', { err }));
  const shipper = createShipper({ spool, transport, log: log.child({ component: 'shipper' }) });
  shipper.start();

  const plan = createCollectorPlan({
    baseIntervalSeconds: config.intervalSeconds,
    log: log.child({ component: 'collectors' }),
    self: { spool, shipper },
  });
  await poller.start();
  const marksPath = collectionMarksPath(config.spoolDir);
  const lastRuns = await readCollectionMarks(marksPath);
  const marks = createCollectionMarks(marksPath, lastRuns, log.child({ component: 'collectors' }));
  const running = startCollectors({
    lastRuns,
    onRun: (name, at) => marks.mark(name, at),
    collectors: plan.build(poller.current()?.config ?? DEFAULT_AGENT_CONFIG),
    log: log.child({ component: 'collectors' }),
    onSamples: async (samples) => {
      await spool.add(samples);
      shipper.notify();
    },
  });
  live.scheduler = running;

  const status = createStatusWriter({
    path: statusPath(config.spoolDir),
    intervalMs: options.statusIntervalMs,
    log,
    snapshot: (): Omit<AgentStatus, 'updatedAt' | 'intervalMs'> => {
      const s = spool.stats();
      const ship = shipper.stats();
      const applied = poller.current();
      const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
      return {
        v: 1,
        pid: process.pid,
        version: AGENT_VERSION,
        startedAt,
        url: config.url,
        ...(config.deviceId ? { deviceId: config.deviceId } : {}),
        transport: transport.name,
        spool: {
          kind: options.spool ? 'memory' : 'disk',
          dir: config.spoolDir,
          pendingSamples: s.pendingSamples,
          ...(s.bytes === undefined ? {} : { bytes: s.bytes }),
          dropped: s.dropped,
          rejected: s.rejected,
        },
        shipping: {
          lastShipAt: iso(ship.lastShipAt),
          lastLatencyMs: ship.lastLatencyMs,
          batchesShipped: ship.batchesShipped,
          samplesShipped: ship.samplesShipped,
          shipErrors: ship.shipErrors,
          ...(ship.lastError ? { lastError: { at: iso(ship.lastError.at)!, message: ship.lastError.message } } : {}),
        },
        config: applied
          ? { source: applied.source, etag: applied.etag, appliedAt: iso(applied.appliedAt) }
          : { source: 'defaults' },
        collectors: running.collectors().map((c) => ({ name: c.name, intervalSeconds: c.intervalMs / 1000 })),
      };
    },
  });

  return {
    spool,
    transport,
    shipper,
    scheduler: running,
    poller,
    async stop({ flushMs = 5_000 } = {}) {
      poller.stop();
      await running.stop();
      await marks.flush();
      const { flushed } = await shipper.stop({ flushMs });
      await transport.close().catch((err: unknown) => log.warn('transport did not close cleanly', { err }));
      await status.stop();
      const stats = spool.stats();
      await spool.close?.();
      return { flushed, stats };
    },
  };
}

async function openSpool(config: AgentConfig, log: Logger): Promise<Spool> {
  try {
    return await createDiskSpool({
      dir: config.spoolDir,
      maxBytes: config.spoolMaxBytes,
      fsync: config.fsync,
      log: log.child({ component: 'spool' }),
    });
  } catch (err) {
    // A directory the agent may not write is a setup problem a restart cannot fix.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR') {
      throw new ConfigError(
        `cannot use spool directory ${config.spoolDir} (${code}): set "spoolDir" in the config file or EDGEWATCH_SPOOL_DIR to a directory this user can write (example: EDGEWATCH_SPOOL_DIR=/var/lib/edgewatch)`,
      );
    }
    throw err;
  }
}
