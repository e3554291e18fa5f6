import type { Collector, Sample } from './collectors/types.ts';
import type { Logger } from './log.ts';

export interface SchedulerOptions {
  collectors: readonly Collector[];
  /** Receives each collector's samples (e.g. `spool.add`). Its rejections are logged. */
  onSamples: (samples: Sample[]) => Promise<void>;
  log: Logger;
}

/** Running collectors; `stop()` cancels future runs and waits for those in progress. */
export interface Scheduler {
  stop(): Promise<void>;
}

/**
 * Runs each collector once now, then on its interval, aligned to wall-clock multiples of the
 * interval so hosts sample at the same instants. A collector never runs twice at once: a run
 * that overruns its interval makes the next one skip to the following boundary.
 */
export function startCollectors(options: SchedulerOptions): Scheduler {
  const { onSamples, log } = options;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  const schedule = (collector: Collector) => {
    if (stopped) return;
    const wait = collector.intervalMs - (Date.now() % collector.intervalMs);
    const timer = setTimeout(() => {
      timers.delete(timer);
      run(collector);
    }, wait);
    timers.add(timer);
  };

  const failing = new Set<string>();
  const run = (collector: Collector) => {
    const task = (async () => {
      let samples: Sample[];
      try {
        // The Worker refuses a whole batch over one NaN, so a bad reading is dropped here.
        samples = (await collector.collect()).filter((s) => Number.isFinite(s.value));
        if (failing.delete(collector.name)) log.info('collector recovered', { collector: collector.name });
      } catch (err) {
        // Warn once per outage; a collector failing every 10 s would otherwise flood the log.
        if (!failing.has(collector.name)) log.warn('collector failed', { collector: collector.name, err });
        else log.debug('collector still failing', { collector: collector.name, err });
        failing.add(collector.name);
        return;
      }
      try {
        if (samples.length > 0) await onSamples(samples);
      } catch (err) {
        log.error('could not queue samples', { collector: collector.name, samples: samples.length, err });
      }
    })();
    inFlight.add(task);
    void task.finally(() => {
      inFlight.delete(task);
      schedule(collector);
    });
  };

  for (const collector of options.collectors) run(collector);

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(inFlight);
    },
  };
}
