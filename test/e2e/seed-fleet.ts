import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import type { LocalPlatform } from './local-platform.ts';

/** One sample as `POST /v1/ingest` takes it. */
export interface Sample {
  metric: string;
  ts: number;
  value: number;
  labels?: Record<string, string>;
}

/** Enrolls a host with the seed's enrollment token, as an agent does. */
export async function enrollHost(platform: LocalPlatform, name: string): Promise<EnrollResponse> {
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform.seed.enrollmentToken, name, agentVersion: '0.1.0' }),
  });
  if (res.status !== 201) throw new Error(`enroll ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as EnrollResponse;
}

/** Posts one batch for a device; throws with the server's reason when it is refused. */
export async function ingest(platform: LocalPlatform, deviceToken: string, batchId: string, samples: Sample[]) {
  const res = await fetch(`${platform.url}/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batchId, samples, agent: { version: '0.1.0', hostname: 'seeded' } }),
  });
  if (!res.ok) throw new Error(`ingest ${batchId}: ${res.status} ${await res.text()}`);
}

/** A call with the seed's admin API key; throws with the server's reason on any non-2xx. */
export async function adminCall<T>(platform: LocalPlatform, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.seed.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/**
 * A host's usual collectors over the last `minutes` at one sample a minute, so the fleet
 * table and the device charts have something to show without running an agent.
 */
export function hostSamples(minutes: number, now = Date.now()): Sample[] {
  const samples: Sample[] = [];
  for (let i = minutes; i >= 0; i--) {
    const ts = now - i * 60_000;
    const wave = Math.sin(i / 7);
    samples.push(
      { metric: 'cpu_usage_percent', ts, value: 35 + 20 * wave },
      { metric: 'cpu_user_percent', ts, value: 25 + 15 * wave },
      { metric: 'cpu_system_percent', ts, value: 8 + 4 * wave },
      { metric: 'mem_total_bytes', ts, value: 8 * 2 ** 30 },
      { metric: 'mem_used_bytes', ts, value: (4 + wave) * 2 ** 30 },
      { metric: 'load1', ts, value: 0.8 + 0.4 * wave },
      { metric: 'load5', ts, value: 0.7 + 0.2 * wave },
      { metric: 'load15', ts, value: 0.6 },
      { metric: 'disk_used_percent', ts, value: 61, labels: { mount: '/' } },
      { metric: 'net_rx_bytes_per_second', ts, value: 120_000 + 40_000 * wave, labels: { interface: 'eth0' } },
      { metric: 'net_tx_bytes_per_second', ts, value: 30_000 + 9_000 * wave, labels: { interface: 'eth0' } },
      { metric: 'temperature_celsius', ts, value: 48 + 3 * wave, labels: { sensor: 'cpu' } },
      { metric: 'host_uptime_seconds', ts, value: 86_400 + (minutes - i) * 60 },
    );
  }
  return samples;
}
