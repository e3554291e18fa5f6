/** One line of the final table; `extra` holds figures that only go to the JSON results. */
export interface Row {
  benchmark: string;
  system: string;
  samplesPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** CPU seconds (user + system) a process used over the window. */
  cpuSeconds?: number;
  /** Peak resident set size (VmHWM). */
  peakRssMiB?: number;
  /** Edgewatch's figure divided by the peer's, on Edgewatch rows (the notes say which figure). */
  ratio?: number;
  notes: string;
  extra?: Record<string, unknown>;
}

export interface BenchContext {
  /** Registers a cleanup that runs on success, failure and Ctrl-C, newest first. */
  defer(fn: () => Promise<void> | void): void;
  log(msg: string): void;
}

/** A benchmark module: later issues add fan-out, footprint, storage, query, export. */
export interface BenchModule {
  name: string;
  run(ctx: BenchContext): Promise<Row[]>;
}
