import type { BackoffOptions } from '../backoff.ts';
import type { Sample } from '../collectors/types.ts';
import type { Logger } from '../log.ts';
import { createControllerReader, type ControllerReader, type ControllerTarget } from './controller-reader.ts';
import { createLimiter } from './limit.ts';
import { createModbusConnection, type ModbusConnection } from './modbus-connection.ts';
import { cycleSamples, healthSamples, type ControllerHealth } from './samples.ts';

export interface PollerOptions {
  controllers: readonly ControllerTarget[];
  /** How often values are read: the trend log's interval. */
  intervalMs: number;
  /** How often the range, auto/manual and analog/digital registers are read again. Default 10 min. */
  metaIntervalMs?: number;
  /** Per connection attempt and per request. Default 5 000 ms. */
  timeoutMs?: number;
  /** Further attempts after a timeout or refused connection, within a poll. Default 1. */
  retries?: number;
  /** Delay between those attempts. */
  backoff?: BackoffOptions;
  /** Controllers polled at once. Default 8. */
  concurrency?: number;
  /** See planRequests. */
  maxGap?: number;
  /**
   * Longest wait between polls of a controller that keeps failing (its wait doubles from one
   * interval). Default 5 min.
   */
  maxRetryIntervalMs?: number;
  /** Receives each controller's samples as soon as its poll ends (e.g. `spool.add`). */
  onSamples: (samples: Sample[]) => Promise<void> | void;
  log?: Logger;
}

/** Controllers being polled. */
export interface GatewayPoller {
  /** Each controller's health, in the order given. */
  health(): ControllerHealth[];
  /** Stops polling: no new polls, polls in progress are abandoned, connections closed. */
  stop(): Promise<void>;
}

interface Entry {
  target: ControllerTarget;
  connection: ModbusConnection;
  reader: ControllerReader;
  health: ControllerHealth;
  metaReadAt?: number;
  timer?: NodeJS.Timeout;
}

/**
 * Polls each controller on its own timer, aligned to wall-clock multiples of the interval like
 * the host collectors, with at most `concurrency` polls at once. Each controller's samples
 * (its points, then its health) go to `onSamples` when its own poll ends, so a slow or dead
 * controller delays nobody else's. One that got no answer is polled again after one interval,
 * then two, four… up to `maxRetryIntervalMs`, so dead controllers hold few of the slots.
 */
export function startGatewayPoller(options: PollerOptions): GatewayPoller {
  const ids = new Set<string>();
  for (const t of options.controllers) {
    if (ids.has(t.id)) throw new Error(`controller ${JSON.stringify(t.id)} is listed twice`);
    ids.add(t.id);
  }
  const { intervalMs, log } = options;
  const metaIntervalMs = options.metaIntervalMs ?? 600_000;
  const maxRetryIntervalMs = options.maxRetryIntervalMs ?? 300_000;
  const limit = createLimiter(options.concurrency ?? 8);
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const entries: Entry[] = options.controllers.map((target) => {
    const connection = createModbusConnection({
      host: target.host,
      port: target.port,
      unitId: target.unitId,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      backoff: options.backoff,
    });
    const health: ControllerHealth = {
      controller: target.id,
      host: target.host,
      port: target.port,
      unitId: target.unitId,
      requestsTotal: 0,
      errorsTotal: 0,
      failedPolls: 0,
    };
    return { target, connection, reader: createControllerReader(target, connection, options), health };
  });

  const poll = async (entry: Entry) => {
    const { health } = entry;
    const meta = entry.metaReadAt === undefined || Date.now() - entry.metaReadAt >= metaIntervalMs;
    const result = await entry.reader.readCycle({ meta, signal: stopping.signal });
    if (stopping.signal.aborted) return;
    if (meta && result.metas.length === entry.target.points.length) entry.metaReadAt = result.startedAt;
    health.requestsTotal += result.requests;
    health.errorsTotal += result.failures.length;
    health.up = result.answered > 0 || result.requests === 0;
    health.lastPollAt = result.endedAt;
    health.lastCycleMs = result.endedAt - result.startedAt;
    if (result.answered > 0) {
      health.lastSuccessAt = result.endedAt;
      health.readLatencyMs = result.latenciesMs.reduce((a, b) => a + b, 0) / result.latenciesMs.length;
    }
    health.failedPolls = result.unreachable && result.answered === 0 ? health.failedPolls + 1 : 0;
    const failure = result.failures.at(-1);
    if (failure) {
      health.lastError = failure.error.message;
      log?.warn('controller read failed', { controller: health.controller, error: failure.error.message });
    }
    const samples = [...cycleSamples(health.controller, result), ...healthSamples(health, result.endedAt, result)];
    try {
      await options.onSamples(samples);
    } catch (err) {
      log?.error('could not queue gateway samples', { controller: health.controller, error: err });
    }
  };

  const schedule = (entry: Entry) => {
    if (stopping.signal.aborted) return;
    const now = Date.now();
    const wait = Math.min(maxRetryIntervalMs, intervalMs * 2 ** Math.max(0, entry.health.failedPolls - 1));
    const earliest = now + (entry.health.failedPolls > 0 ? wait - intervalMs : 0);
    const at = earliest - (earliest % intervalMs) + intervalMs;
    entry.timer = setTimeout(() => run(entry), at - now);
  };

  const run = (entry: Entry) => {
    const task = limit(() => (stopping.signal.aborted ? Promise.resolve() : poll(entry)))
      .catch((err: unknown) => log?.error('gateway poll failed', { controller: entry.health.controller, error: err }))
      .finally(() => {
        inFlight.delete(task);
        schedule(entry);
      });
    inFlight.add(task);
  };

  for (const entry of entries) run(entry);

  return {
    health: () => entries.map((e) => ({ ...e.health })),
    async stop() {
      stopping.abort();
      for (const e of entries) clearTimeout(e.timer);
      await Promise.allSettled([...inFlight]);
      await Promise.all(entries.map((e) => e.connection.close()));
    },
  };
}
