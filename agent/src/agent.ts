import { DEFAULT_AGENT_CONFIG } from '../../schema/wire/agent-config.ts';
import type { GatewayConfig } from '../../schema/wire/gateway.ts';
import { DEFAULT_NOTICE_OUTPUTS } from '../../schema/wire/notices.ts';
import type { GatewayRuntime } from './gateway/runtime.ts';
import type { ControllerHealth } from './gateway/samples.ts';
import { createCollectorPlan } from './collectors/plan.ts';
import type { Sample } from './collectors/types.ts';
import { ConfigError, type AgentConfig } from './config.ts';
import type { Logger } from './log.ts';
import { createCollectionMarks, readCollectionMarks } from './collection-marks.ts';
import { createNoticeDelivery } from './notices/delivery.ts';
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
  /** Gateway mode: where discovery broadcasts go (default 1234; tests use a free port). */
  discoveryPort?: number;
  /** Environment of the programs that show host notices (`wall`, `systemd-cat`). Default `process.env`. */
  noticeEnv?: NodeJS.ProcessEnv;
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
  const live: { scheduler?: Scheduler; gateway?: GatewayMode } = {};
  const onConfig = (applied: AppliedConfig) => {
    const c = applied.config;
    live.gateway?.apply(c.gateway);
    const summary = {
      source: applied.source,
      etag: applied.etag,
      intervals: c.intervals,
      disabled: c.disabled,
      probes: c.probes.map((p) => p.name),
      processes: c.processes.map((p) => p.name),
      ntp: `${c.ntp.server}:${c.ntp.port}`,
      ...(c.notices ? { notices: c.notices } : {}),
      ...(c.gateway
        ? { gateway: { controllers: c.gateway.controllers.length, trendLogs: c.gateway.trendLogs.length } }
        : {}),
    };
    if (!live.scheduler) return log.info('remote config loaded', summary);
    // A device made a gateway after the start (its kind changed, or its first config came late).
    if (c.gateway && !live.gateway) live.gateway = startGatewayMode(c.gateway);
    const change = live.scheduler.reconfigure(plan.build(c));
    log.info('remote config applied', { ...summary, ...change, kept: undefined });
  };
  // Host notices ride along with the config; delivering them (log, wall, journal) is never awaited here.
  const notices = createNoticeDelivery({
    dir: config.spoolDir,
    log: log.child({ component: 'notices' }),
    outputs: () => poller.current()?.config.notices ?? DEFAULT_NOTICE_OUTPUTS,
    env: options.noticeEnv,
  });
  const poller = createConfigPoller({
    url: config.url,
    deviceToken: config.deviceToken,
    log: log.child({ component: 'config' }),
    apply: onConfig,
    onNotices: (list) => notices.deliver(list),
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

  /**
   * Where collectors and the gateway put samples: the spool, then a nudge to the shipper.
   * Collectors that share an interval finish together, so what arrives within one turn of the
   * event loop goes to the spool as one append (one record, one state write) instead of ten;
   * each caller's promise still settles only once its samples are in the spool.
   */
  const queueSamples = coalesce(async (samples: Sample[]) => {
    await spool.add(samples);
    shipper.notify();
  });

  /**
   * The gateway part, for devices whose config has a `gateway` section: its points go through
   * the same spool and shipper as the host's samples. Loaded on demand, so a plain host never
   * evaluates the Modbus and discovery code.
   */
  function startGatewayMode(first: GatewayConfig): GatewayMode {
    const gatewayLog = log.child({ component: 'gateway' });
    let runtime: GatewayRuntime | undefined;
    const loading = Promise.all([import('./gateway/runtime.ts'), import('./gateway/discovery-report.ts')]).then(
      ([{ createGatewayRuntime }, { reportDiscovered }]) =>
        (runtime = createGatewayRuntime({
          log: gatewayLog,
          discoveryPort: options.discoveryPort,
          onSamples: queueSamples,
          report: async (controllers, at) => {
            const target = { url: config.url, deviceToken: config.deviceToken };
            const outcome = await reportDiscovered(target, controllers, at);
            // New or moved controllers change this gateway's config: fetch it now rather than at
            // the next poll (over MQTT the platform pushes it anyway).
            if (outcome.created + outcome.updated > 0) void poller.poll();
          },
        })),
    );
    // Sections are applied in the order they came: each waits for the load, then the runtime's own queue.
    const apply = (section: GatewayConfig | undefined) => {
      loading
        .then((r) => r.apply(section))
        .catch((err: unknown) => gatewayLog.error('gateway config not applied', { err }));
    };
    apply(first);
    return {
      health: () => runtime?.health() ?? [],
      apply,
      async stop() {
        await (await loading.catch(() => undefined))?.stop();
      },
    };
  }

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
    onSamples: queueSamples,
  });
  live.scheduler = running;
  const gatewaySection = poller.current()?.config.gateway;
  if (gatewaySection) live.gateway = startGatewayMode(gatewaySection);

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
        ...(live.gateway ? { gateway: { controllers: live.gateway.health().map(healthStatus) } } : {}),
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
      // A notice being shown ends within its programs' timeout (5 s).
      await Promise.all([running.stop(), live.gateway?.stop(), notices.stop()]);
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

/** A controller's health as the status file shows it. */
function healthStatus(h: ControllerHealth): NonNullable<AgentStatus['gateway']>['controllers'][number] {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    controller: h.controller,
    address: `${h.host}:${h.port} unit ${h.unitId}`,
    up: h.up,
    lastSuccessAt: iso(h.lastSuccessAt),
    lastCycleMs: h.lastCycleMs,
    readLatencyMs: h.readLatencyMs === undefined ? undefined : Math.round(h.readLatencyMs),
    requestsTotal: h.requestsTotal,
    errorsTotal: h.errorsTotal,
    lastError: h.lastError,
  };
}

/** The gateway runtime behind its lazy load. */
interface GatewayMode {
  apply(section: GatewayConfig | undefined): void;
  /** Each polled controller's health (none until the runtime has loaded). */
  health(): ControllerHealth[];
  stop(): Promise<void>;
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

/** Calls `flush` once per turn of the event loop with everything passed in that turn. */
function coalesce<T>(flush: (items: T[]) => Promise<void>): (items: T[]) => Promise<void> {
  let pending: { items: T[]; done: Promise<void> } | undefined;
  return (items) => {
    if (!pending) {
      const next: { items: T[]; done?: Promise<void> } = { items: [] };
      next.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (pending === next) pending = undefined;
        return flush(next.items);
      });
      pending = next as { items: T[]; done: Promise<void> };
    }
    for (const item of items) pending.items.push(item);
    return pending.done;
  };
}
