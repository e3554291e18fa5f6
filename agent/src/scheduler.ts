import type { Collector, Sample } from './collectors/types.ts';
import type { Logger } from './log.ts';

export interface SchedulerOptions {
  collectors: readonly Collector[];
  /** Receives each collector's samples (e.g. `spool.add`). Its rejections are logged. */
  onSamples: (samples: Sample[]) => Promise<void>;
  log: Logger;
  /**
   * When each collector last queued samples before this process started (see
   * collection-marks.ts). A collector whose last samples fall in the current interval still
   * runs at once, so rate collectors take their baseline, but that run's samples are dropped:
   * a restart never puts two samples in one interval.
   */
  lastRuns?: ReadonlyMap<string, number>;
  /** Called with the time a run started, once its samples are queued. */
  onRun?: (name: string, at: number) => void;
}

/** What a reconfiguration did, by collector name. */
export interface ScheduleChange {
  /** New names: run at once, then on their interval. */
  started: string[];
  /** Names no longer asked for: no further runs; a run in progress is aborted and its samples dropped. */
  stopped: string[];
  /** Same name, new instance (its settings changed): the old one stopped, the new one runs at once. */
  replaced: string[];
  /** Same instance, new interval: the next run moves to the new schedule. */
  rescheduled: string[];
  /** Same instance, same interval: untouched. */
  kept: string[];
}

/** Running collectors. */
export interface Scheduler {
  /**
   * Replaces the running set without a restart. Collectors are matched by `name`; one whose
   * `collect` function is the one already running is the same collector (pass
   * `{ ...collector, intervalMs }` to change only its interval).
   */
  reconfigure(collectors: readonly Collector[]): ScheduleChange;
  /** The running collectors, in start order. */
  collectors(): Collector[];
  /** Cancels future runs, aborts runs in progress (NTP, probes), and waits for them to end. */
  stop(): Promise<void>;
}

interface Entry {
  collector: Collector;
  timer?: NodeJS.Timeout;
  running?: AbortController;
}

/**
 * Runs each collector once now, then on its interval, aligned to wall-clock multiples of the
 * interval so hosts sample at the same instants (and an interval is a fixed window a restart
 * can be checked against: see `lastRuns`). A collector never runs twice at once: a run
 * that overruns its interval makes the next one skip to the following boundary.
 */
export function startCollectors(options: SchedulerOptions): Scheduler {
  const { onSamples, log, onRun } = options;
  // Consulted once per name: only the first start after a restart can repeat an interval.
  const before = new Map(options.lastRuns);
  let stopped = false;
  const entries = new Map<string, Entry>();
  const inFlight = new Set<Promise<void>>();
  const failing = new Set<string>();

  const current = (entry: Entry) => !stopped && entries.get(entry.collector.name) === entry;

  const schedule = (entry: Entry) => {
    clearTimeout(entry.timer);
    if (!current(entry) || entry.running) return;
    const { intervalMs } = entry.collector;
    const due = (Math.floor(Date.now() / intervalMs) + 1) * intervalMs;
    // A timer can fire a millisecond before Date.now() reaches `due` (timers run on another
    // clock): sampling then would put a second sample into the interval just sampled.
    const arm = () => {
      entry.timer = setTimeout(() => (Date.now() < due ? arm() : run(entry)), Math.max(1, due - Date.now()));
    };
    arm();
  };

  const run = (entry: Entry, discard = false) => {
    const { collector } = entry;
    const controller = new AbortController();
    entry.running = controller;
    const startedAt = Date.now();
    const task = (async () => {
      let samples: Sample[];
      try {
        // The Worker refuses a whole batch over one NaN, so a bad reading is dropped here.
        samples = (await collector.collect(controller.signal)).filter((s) => Number.isFinite(s.value));
        if (controller.signal.aborted) return;
        if (failing.delete(collector.name)) log.info('collector recovered', { collector: collector.name });
      } catch (err) {
        if (controller.signal.aborted) return;
        // Warn once per outage; a collector failing every 10 s would otherwise flood the log.
        if (!failing.has(collector.name)) log.warn('collector failed', { collector: collector.name, err });
        else log.debug('collector still failing', { collector: collector.name, err });
        failing.add(collector.name);
        return;
      }
      if (discard) {
        if (samples.length > 0) log.debug('interval already sampled before the restart', { collector: collector.name });
        return;
      }
      try {
        if (samples.length > 0) {
          await onSamples(samples);
          onRun?.(collector.name, startedAt);
        }
      } catch (err) {
        log.error('could not queue samples', { collector: collector.name, samples: samples.length, err });
      }
    })();
    inFlight.add(task);
    void task.finally(() => {
      inFlight.delete(task);
      if (entry.running === controller) entry.running = undefined;
      schedule(entry);
    });
  };

  const retire = (entry: Entry) => {
    clearTimeout(entry.timer);
    entry.running?.abort(new Error(`collector ${entry.collector.name} stopped`));
    failing.delete(entry.collector.name);
  };

  const start = (collector: Collector) => {
    const entry: Entry = { collector };
    entries.set(collector.name, entry);
    const last = before.get(collector.name);
    before.delete(collector.name);
    const window = (t: number) => Math.floor(t / collector.intervalMs);
    run(entry, last !== undefined && window(last) === window(Date.now()));
  };

  for (const collector of options.collectors) start(collector);

  return {
    reconfigure(next) {
      const change: ScheduleChange = { started: [], stopped: [], replaced: [], rescheduled: [], kept: [] };
      if (stopped) return change;
      const wanted = new Map(next.map((c) => [c.name, c]));
      for (const [name, entry] of entries) {
        if (wanted.has(name)) continue;
        entries.delete(name);
        retire(entry);
        change.stopped.push(name);
      }
      for (const collector of wanted.values()) {
        const entry = entries.get(collector.name);
        if (!entry) {
          start(collector);
          change.started.push(collector.name);
        } else if (entry.collector.collect !== collector.collect) {
          retire(entry);
          start(collector);
          change.replaced.push(collector.name);
        } else if (entry.collector.intervalMs !== collector.intervalMs) {
          entry.collector = collector;
          schedule(entry);
          change.rescheduled.push(collector.name);
        } else {
          change.kept.push(collector.name);
        }
      }
      return change;
    },
    collectors: () => [...entries.values()].map((e) => e.collector),
    async stop() {
      stopped = true;
      for (const entry of entries.values()) retire(entry);
      await Promise.all(inFlight);
    },
  };
}
