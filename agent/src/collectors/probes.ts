import type { Probe } from '../../../schema/wire/agent-config.ts';
import type { Logger } from '../log.ts';
import { createOutageLog } from './outage-log.ts';
import { probeHttp, type HttpProbeResult } from './probe-http.ts';
import { probeTcp, type TcpProbeResult } from './probe-tcp.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export type { Probe };

export interface ProbesCollectorOptions extends CollectorOptions {
  /** The probes to run, as remote config gives them. */
  probes: readonly Probe[];
  /** Timeout of a probe that sets none. Default 5 000 ms. */
  defaultTimeoutMs?: number;
  /** Where a probe going down or coming back is reported. */
  log?: Logger;
}

/**
 * Runs every probe at once, each with its own timeout, labelled `{probe, type}`:
 * `probe_up` (0/1), `probe_duration_seconds` (whole probe), `probe_dns_seconds`,
 * `probe_connect_seconds` (TCP handshake), and for HTTP(S) `probe_ttfb_seconds` (start to
 * response headers), `probe_http_status_code`, and for https `probe_tls_seconds`,
 * `probe_tls_verified` (0/1) and `probe_tls_cert_days_left`. A phase that never happened
 * (the connection was refused) has no sample.
 */
export function createProbesCollector(options: ProbesCollectorOptions): Collector {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 5_000;
  const outages = createOutageLog(options.log);
  const probes = [...options.probes];
  return {
    name: 'probes',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect(signal) {
      const results = await Promise.all(
        probes.map(async (probe) => {
          const opts = { timeoutMs: probe.timeoutMs ?? defaultTimeoutMs, signal };
          const r =
            probe.type === 'http' ? await probeHttp(probe.url, opts) : await probeTcp(probe.host, probe.port, opts);
          const target = probe.type === 'http' ? probe.url : `${probe.host}:${probe.port}`;
          if (r.up) outages.up(probe.name, 'probe is up again', { probe: probe.name, target });
          else outages.down(probe.name, 'probe failed', { probe: probe.name, target, reason: r.error });
          return toSamples(probe, r, Date.now());
        }),
      );
      return results.flat();
    },
  };
}

function toSamples(probe: Probe, r: HttpProbeResult | TcpProbeResult, ts: number): Sample[] {
  const labels = { probe: probe.name, type: probe.type };
  const samples: Sample[] = [];
  const add = (metric: string, value: number | undefined) => {
    if (value !== undefined) samples.push({ metric, ts, value, labels });
  };
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  add('probe_up', r.up ? 1 : 0);
  add('probe_duration_seconds', seconds(r.totalMs));
  add('probe_dns_seconds', seconds(r.dnsMs));
  add('probe_connect_seconds', seconds(r.connectMs));
  if (probe.type === 'http') {
    const h = r as HttpProbeResult;
    add('probe_tls_seconds', seconds(h.tlsMs));
    add('probe_ttfb_seconds', seconds(h.ttfbMs));
    add('probe_http_status_code', h.status);
    add('probe_tls_cert_days_left', h.certDaysLeft);
    add('probe_tls_verified', h.tlsVerified === undefined ? undefined : h.tlsVerified ? 1 : 0);
  }
  return samples;
}
