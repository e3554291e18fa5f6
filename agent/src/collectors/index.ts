import {
  COLLECTOR_NAMES,
  DEFAULT_AGENT_CONFIG,
  DEFAULT_INTERVALS,
  type CollectorName,
  type RemoteAgentConfig,
} from '../../../schema/wire/agent-config.ts';
import type { Logger } from '../log.ts';
import { createCpuCollector } from './cpu.ts';
import { createDiskCollector } from './disk.ts';
import { createDiskIoCollector } from './diskio.ts';
import { createLoadCollector } from './load.ts';
import { createMemoryCollector } from './memory.ts';
import { createNetworkCollector } from './network.ts';
import { createNtpCollector } from './ntp.ts';
import { createProbesCollector } from './probes.ts';
import { createProcessesCollector } from './processes.ts';
import { createSelfCollector, type SelfCollectorOptions } from './self.ts';
import { createTemperatureCollector } from './temperature.ts';
import type { Collector } from './types.ts';
import { createUptimeCollector } from './uptime.ts';

export type { Collector, CollectorOptions, Sample } from './types.ts';
export { COLLECTOR_NAMES, DEFAULT_INTERVALS, type CollectorName };

/** What a collector factory gets: its interval, the remote config, and the agent's parts. */
export interface CollectorContext {
  intervalMs: number;
  config: RemoteAgentConfig;
  log?: Logger;
  /** The spool and shipper whose counters `self` reports; without them there is no `self`. */
  self?: Omit<SelfCollectorOptions, 'intervalMs'>;
}

/** How to make one collector, and which part of the remote config it depends on. */
export interface CollectorRegistration {
  /** A new instance, or undefined when there is nothing to collect (no probes configured). */
  create(context: CollectorContext): Collector | undefined;
  /** The settings whose change needs a new instance (compared as JSON); none for most. */
  settings?(config: RemoteAgentConfig): unknown;
}

const child = (ctx: CollectorContext, collector: string) => ctx.log?.child({ collector });

/** Every collector the agent has, by its name in remote config. Add a collector here. */
export const collectorRegistry: Record<CollectorName, CollectorRegistration> = {
  cpu: { create: ({ intervalMs }) => createCpuCollector({ intervalMs }) },
  load: { create: ({ intervalMs }) => createLoadCollector({ intervalMs }) },
  memory: { create: ({ intervalMs }) => createMemoryCollector({ intervalMs }) },
  disk: { create: ({ intervalMs }) => createDiskCollector({ intervalMs }) },
  diskio: { create: ({ intervalMs }) => createDiskIoCollector({ intervalMs }) },
  network: { create: ({ intervalMs }) => createNetworkCollector({ intervalMs }) },
  temperature: { create: ({ intervalMs }) => createTemperatureCollector({ intervalMs }) },
  uptime: { create: ({ intervalMs }) => createUptimeCollector({ intervalMs }) },
  ntp: {
    settings: (c) => c.ntp,
    create: (ctx) => createNtpCollector({ ...ctx.config.ntp, intervalMs: ctx.intervalMs, log: child(ctx, 'ntp') }),
  },
  probes: {
    settings: (c) => c.probes,
    create: (ctx) =>
      ctx.config.probes.length === 0
        ? undefined
        : createProbesCollector({ probes: ctx.config.probes, intervalMs: ctx.intervalMs, log: child(ctx, 'probes') }),
  },
  processes: {
    settings: (c) => c.processes,
    create: (ctx) =>
      ctx.config.processes.length === 0
        ? undefined
        : createProcessesCollector({
            watches: ctx.config.processes,
            intervalMs: ctx.intervalMs,
            log: child(ctx, 'processes'),
          }),
  },
  self: { create: (ctx) => (ctx.self ? createSelfCollector({ ...ctx.self, intervalMs: ctx.intervalMs }) : undefined) },
};

/** The interval a collector runs at before remote config sets one. */
export const BASE_INTERVAL_SECONDS = 10;

/**
 * Default seconds between runs of `name` when remote config sets none. The local
 * `intervalSeconds` (`base`) replaces the 10 s of the collectors that run at the base rate;
 * the slower ones keep their own default (NTP 300 s, probes 30 s …) and never run faster than
 * `base`, so a short local interval cannot make the agent hammer an NTP pool.
 */
export function defaultIntervalSeconds(name: CollectorName, base = BASE_INTERVAL_SECONDS): number {
  const builtIn = DEFAULT_INTERVALS[name];
  return builtIn <= BASE_INTERVAL_SECONDS ? base : Math.max(builtIn, base);
}

export interface CreateCollectorsOptions extends Partial<Omit<CollectorContext, 'intervalMs'>> {
  /** One interval for all; default: each collector's {@link defaultIntervalSeconds}. */
  intervalMs?: number;
  only?: readonly CollectorName[];
}

/** Creates every registered collector that has something to collect (or only those named). */
export function createCollectors(options: CreateCollectorsOptions = {}): Collector[] {
  const config = options.config ?? DEFAULT_AGENT_CONFIG;
  return (options.only ?? COLLECTOR_NAMES).flatMap((name) => {
    const intervalMs = options.intervalMs ?? defaultIntervalSeconds(name) * 1000;
    return collectorRegistry[name].create({ ...options, config, intervalMs }) ?? [];
  });
}
