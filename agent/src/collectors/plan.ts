import { COLLECTOR_NAMES, type CollectorName, type RemoteAgentConfig } from '../../../schema/wire/agent-config.ts';
import type { Logger } from '../log.ts';
import { collectorRegistry, defaultIntervalSeconds, type CollectorContext } from './index.ts';
import type { Collector } from './types.ts';

export interface CollectorPlanOptions {
  /** The local config's `intervalSeconds`; see defaultIntervalSeconds. */
  baseIntervalSeconds: number;
  log?: Logger;
  self?: CollectorContext['self'];
}

/** Turns a remote config into the collectors to run, reusing instances whose settings are unchanged. */
export interface CollectorPlan {
  /**
   * The collectors `config` asks for: every registered one not in `disabled`, at
   * `intervals[name]` or the default. A collector whose settings (probe list, watches, NTP
   * server) are unchanged is the same instance, so its rate baselines survive; when only its
   * interval changed it is a copy with the same `collect`, which the scheduler reschedules
   * without restarting it.
   */
  build(config: RemoteAgentConfig): Collector[];
}

/** Creates a plan; see {@link CollectorPlan}. */
export function createCollectorPlan(options: CollectorPlanOptions): CollectorPlan {
  const instances = new Map<CollectorName, { settings: string; collector: Collector | undefined }>();
  return {
    build(config) {
      const disabled = new Set(config.disabled);
      const result: Collector[] = [];
      for (const name of COLLECTOR_NAMES) {
        if (disabled.has(name)) {
          // Forget it, so re-enabling starts afresh rather than from a stale baseline.
          instances.delete(name);
          continue;
        }
        const intervalMs = (config.intervals[name] ?? defaultIntervalSeconds(name, options.baseIntervalSeconds)) * 1000;
        const registration = collectorRegistry[name];
        const settings = JSON.stringify(registration.settings?.(config) ?? null);
        let entry = instances.get(name);
        if (!entry || entry.settings !== settings) {
          const context = { intervalMs, config, log: options.log, self: options.self };
          entry = { settings, collector: registration.create(context) };
          instances.set(name, entry);
        }
        const collector = entry.collector;
        if (!collector) continue;
        result.push(collector.intervalMs === intervalMs ? collector : { ...collector, intervalMs });
      }
      return result;
    },
  };
}
