import type { Logger } from '../log.ts';
import { createOutageLog } from './outage-log.ts';
import { querySntp } from './sntp.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export interface NtpCollectorOptions extends CollectorOptions {
  /** NTP server name or address. Default `pool.ntp.org`. */
  server?: string;
  /** UDP port. Default 123. */
  port?: number;
  /** Whole exchange, name lookup included. Default 2 000 ms. */
  timeoutMs?: number;
  /** Where an unreachable server is reported (once per outage). */
  log?: Logger;
}

/**
 * Clock offset against an NTP server, from one SNTP exchange per run (label `server`):
 * `ntp_offset_seconds` (server clock − local clock: positive means this host is behind),
 * `ntp_rtt_seconds` (round trip, less the server's own processing time) and `ntp_up`
 * (1 when the server answered, else 0 alone, so a dashboard can tell "no answer" from "no data").
 */
export function createNtpCollector(options: NtpCollectorOptions = {}): Collector {
  const server = options.server ?? 'pool.ntp.org';
  const port = options.port ?? 123;
  const outages = createOutageLog(options.log);
  return {
    name: 'ntp',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect(signal) {
      const labels = { server };
      try {
        const r = await querySntp({ host: server, port, timeoutMs: options.timeoutMs, signal });
        const ts = Date.now();
        outages.up(server, 'NTP server answers again', { server, port });
        return [
          { metric: 'ntp_offset_seconds', ts, value: r.offsetMs / 1000, labels },
          { metric: 'ntp_rtt_seconds', ts, value: r.rttMs / 1000, labels },
          { metric: 'ntp_up', ts, value: 1, labels },
        ] satisfies Sample[];
      } catch (err) {
        // Stopping is not an outage: no ntp_up 0 for a query we cut short ourselves.
        signal?.throwIfAborted();
        outages.down(server, 'NTP server does not answer', { server, port, err });
        return [{ metric: 'ntp_up', ts: Date.now(), value: 0, labels }];
      }
    },
  };
}
