import type { GatewayConfig } from '../../../schema/wire/gateway.ts';
import type { Sample } from '../collectors/types.ts';
import type { Logger } from '../log.ts';
import { startCollectors, type Scheduler } from '../scheduler.ts';
import { createBacnetReader, type BacnetReader } from './bacnet.ts';
import { bacnetPlanKey, planBacnet, startBacnetPoller } from './bacnet-poller.ts';
import { createDiscoveryCollector } from './discovery-collector.ts';
import type { DiscoveredController, DiscoverOptions } from './discovery.ts';
import { startGatewayPoller, type GatewayPoller, type PolledController, type PollSchedule } from './poller.ts';
import type { RawRegister } from './register-spec.ts';
import type { ControllerHealth } from './samples.ts';
import { parsePoint, type T3Point } from './t3-profile.ts';
import { byShortestInterval, type TrendEntry } from './trend-schedule.ts';

export interface GatewayRuntimeOptions {
  /** Where the points and health samples go: the agent's spool, like the host collectors'. */
  onSamples: (samples: Sample[]) => Promise<void>;
  /** Sends a completed discovery round to the platform. */
  report: (controllers: DiscoveredController[], at: number) => Promise<void>;
  log: Logger;
  /** Port discovery broadcasts go to (default 1234; tests use a free one). */
  discoveryPort?: number;
  /** Passed to the poller (tests shorten the flag-reading period). */
  metaIntervalMs?: number;
  /** Reads the trend logs' BACnet objects; default: one reader created on first use, closed on stop. */
  bacnetReader?: BacnetReader;
}

/** The agent's gateway mode: it polls and discovers what the `gateway` section of its remote config says. */
export interface GatewayRuntime {
  /**
   * Applies a new `gateway` section (or none: polling and discovery stop). Polling restarts only
   * when what is polled changed, discovery only when its settings did; resolves once the new
   * setup is running.
   */
  apply(config: GatewayConfig | undefined): Promise<void>;
  /** Each polled controller's health. */
  health(): ControllerHealth[];
  stop(): Promise<void>;
}

/**
 * What to poll, from a `gateway` section: each controller with one schedule per distinct
 * interval of the trend logs that read it. A point in two trend logs is read at the shorter
 * interval only; points of controllers the section does not list are skipped (logged).
 */
export function planPolling(config: GatewayConfig, log?: Logger): PolledController[] {
  const byId = new Map(config.controllers.map((c) => [c.id, c]));
  type Entry = { point: T3Point } | { register: RawRegister };
  function* entries(): Generator<TrendEntry<Entry>> {
    for (const t of config.trendLogs) {
      const intervalMs = t.intervalSeconds * 1000;
      const known = (controller: string) => {
        if (byId.has(controller)) return true;
        log?.warn('trend log names a controller this gateway does not poll', { trendLog: t.id, controller });
        return false;
      };
      for (const p of t.points) {
        if (known(p.controller))
          yield { controller: p.controller, key: p.point, value: { point: parsePoint(p.point) }, intervalMs };
      }
      for (const r of t.registers) {
        if (known(r.controller))
          yield { controller: r.controller, key: `register ${r.spec.name}`, value: { register: r.spec }, intervalMs };
      }
    }
  }

  const targets: PolledController[] = [];
  for (const [id, intervals] of byShortestInterval(entries())) {
    const c = byId.get(id)!;
    const schedules: PollSchedule[] = intervals.map(([intervalMs, list]) => ({
      intervalMs,
      points: list.flatMap((e) => ('point' in e ? [e.point] : [])),
      registers: list.flatMap((e) => ('register' in e ? [e.register] : [])),
    }));
    targets.push({
      id,
      host: c.host,
      port: c.port,
      unitId: c.unit,
      timeoutMs: c.timeoutMs,
      points: schedules.flatMap((s) => s.points),
      registers: schedules.flatMap((s) => s.registers),
      schedules,
    });
  }
  return targets;
}

/**
 * Runs the gateway part of the agent from its remote config. A trend log changed in the cloud
 * reaches the agent as a new config (poll with ETag, or the MQTT push) and takes effect here
 * without a restart: the poller is replaced, its samples keep going to the same spool.
 */
export function createGatewayRuntime(options: GatewayRuntimeOptions): GatewayRuntime {
  const { log } = options;
  let poller: GatewayPoller | undefined;
  let bacnetPoller: Scheduler | undefined;
  let discovery: Scheduler | undefined;
  let bacnetReader: BacnetReader | undefined = options.bacnetReader;
  let pollingKey = '';
  const noBacnet = bacnetPlanKey([]);
  let bacnetKey = noBacnet;
  let discoveryKey = '';
  // Applies run one after the other, so a quick second change never races the first's stop.
  let chain: Promise<void> = Promise.resolve();

  const applyNow = async (config: GatewayConfig | undefined) => {
    const targets = config ? planPolling(config, log) : [];
    const nextPolling = JSON.stringify(targets);
    if (nextPolling !== pollingKey) {
      await poller?.stop();
      poller = undefined;
      pollingKey = nextPolling;
      if (targets.length > 0) {
        poller = startGatewayPoller({
          controllers: targets,
          // Unused: every target has its schedules.
          intervalMs: 60_000,
          // Every controller at once, up to 64: each mostly waits for its slow answers, so more in
          // parallel costs little, and with fewer slots than controllers a round takes twice as long.
          concurrency: Math.min(64, Math.max(8, targets.length)),
          metaIntervalMs: options.metaIntervalMs,
          onSamples: options.onSamples,
          log,
        });
      }
      log.info('gateway polling', {
        controllers: targets.length,
        points: targets.reduce((n, t) => n + t.points.length, 0),
        registers: targets.reduce((n, t) => n + t.registers.length, 0),
        intervalsSeconds: [...new Set(targets.flatMap((t) => (t.schedules ?? []).map((s) => s.intervalMs / 1000)))],
      });
    }

    // BACnet objects go through their own scheduler and reader (UDP, its own per-device queue),
    // so a Modbus change never stops BACnet reads nor the reverse.
    const bacnetTargets = config ? planBacnet(config, log) : [];
    const nextBacnet = bacnetPlanKey(bacnetTargets);
    if (nextBacnet !== bacnetKey) {
      await bacnetPoller?.stop();
      bacnetPoller = undefined;
      bacnetKey = nextBacnet;
      if (bacnetTargets.length > 0) {
        bacnetReader ??= createBacnetReader({ log });
        bacnetPoller = startBacnetPoller({
          targets: bacnetTargets,
          reader: bacnetReader,
          onSamples: options.onSamples,
          log,
        });
      }
      log.info('gateway bacnet polling', {
        controllers: new Set(bacnetTargets.map((t) => t.controller)).size,
        objects: bacnetTargets.reduce((n, t) => n + t.objects.length, 0),
        intervalsSeconds: [...new Set(bacnetTargets.map((t) => t.intervalMs / 1000))],
      });
    }

    const d = config?.discovery;
    const nextDiscovery = d?.enabled ? JSON.stringify(d) : '';
    if (nextDiscovery !== discoveryKey) {
      await discovery?.stop();
      discovery = undefined;
      discoveryKey = nextDiscovery;
      if (d?.enabled) {
        const where: Pick<DiscoverOptions, 'targets' | 'port'> =
          d.targets.length > 0 ? { targets: d.targets } : { port: options.discoveryPort };
        discovery = startCollectors({
          collectors: [
            createDiscoveryCollector({
              ...where,
              intervalMs: d.intervalSeconds * 1000,
              onDiscovered: options.report,
              log,
            }),
          ],
          onSamples: options.onSamples,
          log,
        });
        log.info('gateway discovery', {
          intervalSeconds: d.intervalSeconds,
          targets: d.targets.length > 0 ? d.targets.map((t) => `${t.host}:${t.port}`) : 'broadcast',
        });
      }
    }
  };

  return {
    apply(config) {
      const next = chain.then(() => applyNow(config));
      chain = next.catch((err: unknown) => log.error('gateway config not applied', { err }));
      return next;
    },
    health: () => poller?.health() ?? [],
    async stop() {
      await chain;
      await Promise.all([poller?.stop(), bacnetPoller?.stop(), discovery?.stop()]);
      poller = undefined;
      bacnetPoller = undefined;
      discovery = undefined;
      // A reader passed in belongs to the caller.
      if (bacnetReader !== options.bacnetReader) await bacnetReader?.close();
      bacnetReader = options.bacnetReader;
      bacnetKey = noBacnet;
    },
  };
}
