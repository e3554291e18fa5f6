import { readFile } from 'node:fs/promises';
import si from 'systeminformation';
import { parseProcNetDev, type NetCounters } from './linux-proc.ts';
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

/**
 * Per interface (label `iface`, loopback skipped): `net_rx_bytes_per_second` and
 * `net_tx_bytes_per_second` over the last interval (from the second call on), and the
 * counters `net_rx_errors_total`, `net_tx_errors_total`.
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
    const counters = parseProcNetDev(await readFile('/proc/net/dev', 'utf8'));
    const before = previous;
    previous = { at, counters };
    const seconds = before ? (at - before.at) / 1000 : 0;

    const samples: Sample[] = [];
    for (const [iface, c] of counters) {
      if (LOOPBACK.test(iface)) continue;
      const labels = { iface };
      const prev = before?.counters.get(iface);
      // A counter that went down was reset (interface re-created): skip one rate, not report a negative one.
      if (prev && seconds > 0 && c.rxBytes >= prev.rxBytes && c.txBytes >= prev.txBytes) {
        samples.push(
          { metric: 'net_rx_bytes_per_second', ts, value: (c.rxBytes - prev.rxBytes) / seconds, labels },
          { metric: 'net_tx_bytes_per_second', ts, value: (c.txBytes - prev.txBytes) / seconds, labels },
        );
      }
      samples.push(
        { metric: 'net_rx_errors_total', ts, value: c.rxErrors, labels },
        { metric: 'net_tx_errors_total', ts, value: c.txErrors, labels },
      );
    }
    return samples;
  };
}

function siReader(): () => Promise<Sample[]> {
  return async () => {
    const ts = Date.now();
    const stats = await si.networkStats('*');
    const samples: Sample[] = [];
    for (const s of stats) {
      if (LOOPBACK.test(s.iface)) continue;
      const labels = { iface: s.iface };
      // systeminformation reports null (or -1) rates until it has two readings.
      if (typeof s.rx_sec === 'number' && s.rx_sec >= 0 && typeof s.tx_sec === 'number' && s.tx_sec >= 0) {
        samples.push(
          { metric: 'net_rx_bytes_per_second', ts, value: s.rx_sec, labels },
          { metric: 'net_tx_bytes_per_second', ts, value: s.tx_sec, labels },
        );
      }
      samples.push(
        { metric: 'net_rx_errors_total', ts, value: s.rx_errors, labels },
        { metric: 'net_tx_errors_total', ts, value: s.tx_errors, labels },
      );
    }
    return samples;
  };
}
