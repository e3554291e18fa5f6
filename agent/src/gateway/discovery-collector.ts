import type { Collector, Sample } from '../collectors/types.ts';
import type { Logger } from '../log.ts';
import { discover, type DiscoverOptions, type DiscoveredController } from './discovery.ts';

/** Default time between discovery rounds: controllers come and go rarely. */
export const DEFAULT_DISCOVERY_INTERVAL_MS = 600_000;

export interface DiscoveryCollectorOptions extends Omit<DiscoverOptions, 'signal' | 'onController' | 'log'> {
  /** Time between rounds; default 10 minutes. The scheduler also runs it once at start. */
  intervalMs?: number;
  /**
   * Receives every completed round's controllers (the full list, so the receiver can upsert by
   * serial and mark the missing ones offline). Not called for a round cut short by a stop.
   * Its rejection is logged and does not fail the round.
   */
  onDiscovered: (controllers: DiscoveredController[], at: number) => void | Promise<void>;
  log?: Logger;
  /** Replaces the network round (tests). */
  discoverFn?: typeof discover;
}

/**
 * Periodic discovery as a collector, so the agent's scheduler runs it at start and then on its
 * interval, never twice at once, and aborts it on stop or reconfiguration. Each round reports the
 * controllers found through `onDiscovered` and yields one sample,
 * `gateway_discovered_controllers`, so an empty network shows on a chart rather than as silence.
 */
export function createDiscoveryCollector(options: DiscoveryCollectorOptions): Collector {
  const { intervalMs = DEFAULT_DISCOVERY_INTERVAL_MS, onDiscovered, log, discoverFn = discover, ...rest } = options;
  return {
    name: 'discovery',
    intervalMs,
    async collect(signal?: AbortSignal): Promise<Sample[]> {
      const at = Date.now();
      const controllers = await discoverFn({ ...rest, signal, log });
      if (signal?.aborted) return [];
      log?.info('discovery: round done', { controllers: controllers.length });
      try {
        await onDiscovered(controllers, at);
      } catch (err) {
        log?.warn('discovery: report failed', { err });
      }
      return [{ metric: 'gateway_discovered_controllers', ts: at, value: controllers.length }];
    },
  };
}
