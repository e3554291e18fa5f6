import { createCpuCollector } from './cpu.ts';
import { createDiskCollector } from './disk.ts';
import { createLoadCollector } from './load.ts';
import { createMemoryCollector } from './memory.ts';
import { createNetworkCollector } from './network.ts';
import type { Collector, CollectorOptions } from './types.ts';

export type { Collector, CollectorOptions, Sample } from './types.ts';

/** Every collector the agent has, by name. Add a collector by adding its factory here. */
export const collectorFactories = {
  cpu: createCpuCollector,
  load: createLoadCollector,
  memory: createMemoryCollector,
  disk: createDiskCollector,
  network: createNetworkCollector,
} as const satisfies Record<string, (options?: CollectorOptions) => Collector>;

export type CollectorName = keyof typeof collectorFactories;

/** Creates every registered collector (or only those named) with the given interval. */
export function createCollectors(options: CollectorOptions & { only?: readonly CollectorName[] } = {}): Collector[] {
  const names = options.only ?? (Object.keys(collectorFactories) as CollectorName[]);
  return names.map((name) => collectorFactories[name]({ intervalMs: options.intervalMs }));
}
