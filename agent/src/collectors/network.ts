import { parseProcNetDev, type NetCounters } from './linux-proc.ts';
import { readProcFile } from './proc-read.ts';
import { systemInformation } from './system-information.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export interface NetworkCollectorOptions extends CollectorOptions {
  /**
   * `proc` reads /proc/net/dev once per call (Linux). `systeminformation` uses
   * `si.networkStats('*')`, which on Linux spawned about 58 processes per call when measured
   * (interface discovery plus one shell per interface). Default: by platform.
   */
  source?: 'proc' | 'systeminformation';
}

const LOOPBACK = /^lo\d*$/;

// Rates of what flows; counters of what goes wrong, since a one-off error averaged over an
// interval reads as "0.1 errors per second" and hides that it happened at all.
const RATES = [
  ['net_rx_bytes_per_second', 'rxBytes'],
  ['net_tx_bytes_per_second', 'txBytes'],
  ['net_rx_packets_per_second', 'rxPackets'],
  ['net_tx_packets_per_second', 'txPackets'],
] as const satisfies readonly (readonly [string, keyof NetCounters])[];
const TOTALS = [
  ['net_rx_errors_total', 'rxErrors'],
  ['net_tx_errors_total', 'txErrors'],
  ['net_rx_drops_total', 'rxDrops'],
  ['net_tx_drops_total', 'txDrops'],
] as const satisfies readonly (readonly [string, keyof NetCounters])[];

/**
 * Per interface (label `iface`, loopback skipped): `net_rx_bytes_per_second`,
 * `net_tx_bytes_per_second`, `net_rx_packets_per_second`, `net_tx_packets_per_second` over
 * the last interval (from the second call on), and the counters `net_rx_errors_total`,
 * `net_tx_errors_total`, `net_rx_drops_total`, `net_tx_drops_total`.
 */
export function createNetworkCollector(options: NetworkCollectorOptions = {}): Collector {
  const source = options.source ?? (process.platform === 'linux' ? 'proc' : 'systeminformation');
  return {
    name: 'network',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    collect: source === 'proc' ? procReader() : siReader(),
  };
}

function procReader(): () => Promise<Sample[]> {
  let previous: { at: number; counters: Map<string, NetCounters> } | undefined;
  return async () => {
    const ts = Date.now();
    const at = performance.now();
    const counters = parseProcNetDev(await readProcFile('/proc/net/dev'));
    const before = previous;
    previous = { at, counters };
    const seconds = before ? (at - before.at) / 1000 : 0;

    const samples: Sample[] = [];
    for (const [iface, c] of counters) {
      if (LOOPBACK.test(iface)) continue;
      const labels = { iface };
      const prev = before?.counters.get(iface);
      // A counter that went down was reset (interface re-created): skip one rate, not report a negative one.
      if (prev && seconds > 0 && RATES.every(([, k]) => c[k] >= prev[k])) {
        for (const [metric, k] of RATES) samples.push({ metric, ts, value: (c[k] - prev[k]) / seconds, labels });
      }
      for (const [metric, k] of TOTALS) samples.push({ metric, ts, value: c[k], labels });
    }
    return samples;
  };
}

function siReader(): () => Promise<Sample[]> {
  return async () => {
    const ts = Date.now();
    const stats = await (await systemInformation()).networkStats('*');
    const samples: Sample[] = [];
    for (const s of stats) {
      if (LOOPBACK.test(s.iface)) continue;
      const labels = { iface: s.iface };
      // systeminformation reports null (or -1) rates until it has two readings, and no packet counts.
      if (typeof s.rx_sec === 'number' && s.rx_sec >= 0 && typeof s.tx_sec === 'number' && s.tx_sec >= 0) {
        samples.push(
          { metric: 'net_rx_bytes_per_second', ts, value: s.rx_sec, labels },
          { metric: 'net_tx_bytes_per_second', ts, value: s.tx_sec, labels },
        );
      }
      samples.push(
        { metric: 'net_rx_errors_total', ts, value: s.rx_errors, labels },
        { metric: 'net_tx_errors_total', ts, value: s.tx_errors, labels },
        { metric: 'net_rx_drops_total', ts, value: s.rx_dropped, labels },
        { metric: 'net_tx_drops_total', ts, value: s.tx_dropped, labels },
      );
    }
    return samples;
  };
}
