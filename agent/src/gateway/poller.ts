import type { BackoffOptions } from '../backoff.ts';
import type { Sample } from '../collectors/types.ts';
import type { Logger } from '../log.ts';
import { createControllerReader, type ControllerReader, type ControllerTarget } from './controller-reader.ts';
import { createLimiter } from './limit.ts';
import { createModbusConnection, type ModbusConnection } from './modbus-connection.ts';
import type { RawRegister } from './register-spec.ts';
import { cycleSamples, healthSamples, type ControllerHealth } from './samples.ts';
import { pointId, type T3Point, type T3PointMeta } from './t3-profile.ts';

/**
 * What to read from a controller, and how often: one trend log's share of it. A controller in
 * several trend logs has several schedules; their reads that fall due together go out as one
 * cycle, so its requests still go one at a time and coalesce.
 */
export interface PollSchedule {
  intervalMs: number;
  points: readonly T3Point[];
  registers: readonly RawRegister[];
}

/** A controller to poll: by default its `points` and `registers` every `intervalMs` of the poller. */
export interface PolledController extends ControllerTarget {
  /** Replaces the single schedule made of `points`, `registers` and the poller's interval. */
  schedules?: readonly PollSchedule[];
  /** Per connection attempt and per request; the poller's `timeoutMs` when absent. */
  timeoutMs?: number;
}

export interface PollerOptions {
  controllers: readonly PolledController[];
  /** How often values are read (the trend log's interval), for controllers without `schedules`. */
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

interface Slot extends PollSchedule {
  /** When this schedule is next due (epoch ms, a wall-clock multiple of its interval). */
  dueAt: number;
}

interface Entry {
  target: PolledController;
  connection: ModbusConnection;
  slots: Slot[];
  /** The shortest interval of its schedules: the unit of its backoff. */
  baseMs: number;
  /** The points' flags, shared by its readers. */
  metas: Map<string, T3PointMeta>;
  /** One reader per combination of schedules that fell due together (few: their intervals repeat). */
  readers: Map<string, { reader: ControllerReader; points: number }>;
  health: ControllerHealth;
  metaReadAt?: number;
  timer?: NodeJS.Timeout;
}

/** The next wall-clock multiple of `intervalMs` after `now`. */
const nextMultiple = (now: number, intervalMs: number) => now - (now % intervalMs) + intervalMs;

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
    const schedules = target.schedules ?? [{ intervalMs, points: target.points, registers: target.registers }];
    if (schedules.length === 0) throw new Error(`controller ${JSON.stringify(target.id)} has no schedule`);
    const connection = createModbusConnection({
      host: target.host,
      port: target.port,
      unitId: target.unitId,
      timeoutMs: target.timeoutMs ?? options.timeoutMs,
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
    return {
      target,
      connection,
      // Due at once: the first poll of every schedule is at start.
      slots: schedules.map((s) => ({ ...s, dueAt: 0 })),
      baseMs: Math.min(...schedules.map((s) => s.intervalMs)),
      metas: new Map(),
      readers: new Map(),
      health,
    };
  });

  /** A reader for the schedules due now: their points and registers, each once. */
  const readerFor = (entry: Entry, due: Slot[]) => {
    const key = due.map((s) => entry.slots.indexOf(s)).join(',');
    let found = entry.readers.get(key);
    if (!found) {
      const points = new Map<string, T3Point>();
      const registers = new Map<string, RawRegister>();
      for (const s of due) {
        for (const p of s.points) points.set(pointId(p), p);
        for (const r of s.registers) registers.set(JSON.stringify(r), r);
      }
      const target = { ...entry.target, points: [...points.values()], registers: [...registers.values()] };
      found = {
        reader: createControllerReader(target, entry.connection, { maxGap: options.maxGap, metas: entry.metas }),
        points: points.size,
      };
      entry.readers.set(key, found);
    }
    return found;
  };

  const poll = async (entry: Entry) => {
    const { health } = entry;
    const now = Date.now();
    // A timer may fire a little early or late; what is due within a few ms is due now.
    const due = entry.slots.filter((s) => s.dueAt <= now + 5);
    if (due.length === 0) return;
    // From the slot being served, not from now: a timer a millisecond early must not serve it twice.
    for (const s of due) s.dueAt = nextMultiple(Math.max(now, s.dueAt), s.intervalMs);
    const { reader, points } = readerFor(entry, due);
    const meta = entry.metaReadAt === undefined || now - entry.metaReadAt >= metaIntervalMs;
    const result = await reader.readCycle({ meta, signal: stopping.signal });
    if (stopping.signal.aborted) return;
    if (meta && result.metas.length === points) entry.metaReadAt = result.startedAt;
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
    // A slot missed while a slow poll ran is skipped, not caught up back to back.
    for (const s of entry.slots) if (s.dueAt < now - 5) s.dueAt = nextMultiple(now, s.intervalMs);
    let at = Math.min(...entry.slots.map((s) => s.dueAt));
    if (entry.health.failedPolls > 0) {
      // Backing off: everything due before the wait is over is read at its end, in one cycle.
      const base = entry.baseMs;
      const wait = Math.min(maxRetryIntervalMs, base * 2 ** (entry.health.failedPolls - 1));
      at = Math.max(at, nextMultiple(now + wait - base, base));
    }
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
