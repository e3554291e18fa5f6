import type { GatewayConfig } from '../../../schema/wire/gateway.ts';
import type { Collector, Sample } from '../collectors/types.ts';
import type { Logger } from '../log.ts';
import { startCollectors, type Scheduler } from '../scheduler.ts';
import type { BacnetDevice, BacnetReader } from './bacnet.ts';
import { formatObjectRef, parseObjectRef, type BacnetObjectRef } from './bacnet-objects.ts';
import { byShortestInterval, type TrendEntry } from './trend-schedule.ts';

/** One controller's BACnet objects read together at one interval. */
export interface BacnetTarget {
  /** The `controller` label, shared with the controller's Modbus samples. */
  controller: string;
  device: BacnetDevice;
  intervalMs: number;
  objects: BacnetObjectRef[];
}

/**
 * What to read over BACnet, from a `gateway` section: per controller, one target per distinct
 * interval of the trend logs that name its objects. An object in two trend logs is read at the
 * shorter interval only, as Modbus points are (planPolling). Entries of controllers the section
 * does not list, or lists without a BACnet device, are skipped (logged).
 */
export function planBacnet(config: GatewayConfig, log?: Logger): BacnetTarget[] {
  const byId = new Map(config.controllers.map((c) => [c.id, c]));
  function* entries(): Generator<TrendEntry<BacnetObjectRef>> {
    for (const trendLog of config.trendLogs) {
      for (const entry of trendLog.bacnet ?? []) {
        if (!byId.get(entry.controller)?.bacnet) {
          log?.warn('trend log names a BACnet object of a controller without a BACnet device here', {
            trendLog: trendLog.id,
            controller: entry.controller,
          });
          continue;
        }
        const value = parseObjectRef(entry.object);
        yield { controller: entry.controller, key: entry.object, value, intervalMs: trendLog.intervalSeconds * 1000 };
      }
    }
  }

  const targets: BacnetTarget[] = [];
  for (const [controller, intervals] of byShortestInterval(entries())) {
    const c = byId.get(controller)!;
    const device: BacnetDevice = {
      address: `${c.host}:${c.bacnet!.port}`,
      instance: c.bacnet!.instance,
      label: controller,
    };
    for (const [intervalMs, objects] of intervals) targets.push({ controller, device, intervalMs, objects });
  }
  return targets;
}

export interface BacnetPollerOptions {
  targets: readonly BacnetTarget[];
  /** Shared by every target: it keeps one request at a time per device. */
  reader: BacnetReader;
  onSamples: (samples: Sample[]) => Promise<void>;
  log: Logger;
}

/**
 * Reads each target's objects on its interval through the agent's scheduler (aligned to the
 * wall clock, never two reads of a target at once, stopped without waiting for the next tick).
 * Failures are logged when a target's state changes (first failure, a different error,
 * recovery), not on every round: a controller down for a day would otherwise fill the log.
 */
export function startBacnetPoller(options: BacnetPollerOptions): Scheduler {
  const { reader, log } = options;
  const lastError = new Map<string, string>();
  const collectors = options.targets.map((target): Collector => {
    const name = `bacnet ${target.controller} ${target.intervalMs}`;
    return {
      name,
      intervalMs: target.intervalMs,
      async collect() {
        const { samples, errors } = await reader.readSamples(target.device, target.objects);
        const state = errors.length === 0 ? '' : `${errors[0]!.object}: ${errors[0]!.error.message}`;
        if (state !== (lastError.get(name) ?? '')) {
          if (state === '') log.info('bacnet: controller answers again', { controller: target.controller });
          else
            log.warn('bacnet: read failed', {
              controller: target.controller,
              address: target.device.address,
              failed: errors.length,
              of: target.objects.length,
              error: state,
            });
          lastError.set(name, state);
        }
        return samples;
      },
    };
  });
  return startCollectors({ collectors, onSamples: options.onSamples, log });
}

/** Equal for equal plans: the runtime restarts BACnet polling only when this changes. */
export function bacnetPlanKey(targets: readonly BacnetTarget[]): string {
  return JSON.stringify(
    targets.map((t) => [
      t.device.address,
      t.device.instance,
      t.controller,
      t.intervalMs,
      t.objects.map(formatObjectRef),
    ]),
  );
}
