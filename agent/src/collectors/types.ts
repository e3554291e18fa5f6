import type { Sample } from '../../../schema/wire/ingest.ts';

export type { Sample };

/**
 * A source of samples, in the style of Telegraf's `Gather`: the scheduler calls `collect()`
 * every `intervalMs`, never twice at once for the same collector.
 */
export interface Collector {
  /** Short stable name (`cpu`, `disk` …): the key of remote config's `intervals` and `disabled`. */
  readonly name: string;
  /** How often to collect. Collectors whose reads are expensive may ask for a longer interval. */
  readonly intervalMs: number;
  /**
   * Reads current values. Rate and percentage collectors need two reads, so their first call
   * may return no samples. Rejects when the source cannot be read; the scheduler logs it and
   * tries again next interval. Collectors that wait on the network (NTP, probes) reject soon
   * after `signal` aborts, which the scheduler does on stop or when the collector is replaced.
   */
  collect(signal?: AbortSignal): Promise<Sample[]>;
}

/** Options every collector factory accepts. */
export interface CollectorOptions {
  /** Collection interval; default 10 000 ms. */
  intervalMs?: number;
}

/** Default collection interval. */
export const DEFAULT_INTERVAL_MS = 10_000;
