import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorRegistry } from '../../agent/src/collectors/index.ts';
import { DEFAULT_AGENT_CONFIG } from '../../schema/wire/agent-config.ts';
import type { Sample } from '../../schema/wire/ingest.ts';
import { skipWithout } from '../agent/helpers/skip-without.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool && process.env.CI !== 'true') {
  console.warn('metrics-promtool: skipped, promtool is not installed (apt-get install prometheus)');
}

let platform: LocalPlatform | undefined;

async function enroll(name: string): Promise<{ deviceId: string; deviceToken: string }> {
  const res = await fetch(`${platform!.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform!.seed.enrollmentToken, name }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { deviceId: string; deviceToken: string };
}

async function ingest(deviceToken: string, batchId: string, samples: Sample[]): Promise<void> {
  const res = await fetch(`${platform!.url}/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batchId, samples }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** What the host collectors of a real agent report on this machine, on their first run. */
async function hostSamples(): Promise<Sample[]> {
  const names = ['cpu', 'load', 'memory', 'disk', 'diskio', 'network', 'temperature', 'uptime'] as const;
  const runs = names.map(async (name) => {
    const collector = collectorRegistry[name].create({ intervalMs: 10_000, config: DEFAULT_AGENT_CONFIG });
    return (await collector?.collect().catch(() => [])) ?? [];
  });
  return (await Promise.all(runs)).flat();
}

/** The agent's other kinds, which need a second run, a spool or a configured watch to appear. */
function agentKinds(ts: number): Sample[] {
  const eth0 = { interface: 'eth0' };
  return [
    { metric: 'agent_batches_shipped_total', ts, value: 12 },
    { metric: 'agent_cpu_seconds_total', ts, value: 3.25 },
    { metric: 'agent_spool_dropped_samples_total', ts, value: 0 },
    { metric: 'agent_spool_pending_samples', ts, value: 40 },
    { metric: 'agent_ship_latency_seconds', ts, value: 0.042 },
    { metric: 'net_rx_errors_total', ts, value: 2, labels: eth0 },
    { metric: 'net_rx_bytes_per_second', ts, value: 1024.5, labels: eth0 },
    { metric: 'diskio_io_time_ms_per_second', ts, value: 15, labels: { device: 'sda' } },
    { metric: 'cpu_core_usage_percent', ts, value: 12.5, labels: { core: '0' } },
    { metric: 'process_count', ts, value: 3, labels: { process: 'nginx' } },
    { metric: 'process_cpu_percent', ts, value: 250, labels: { process: 'nginx' } },
    { metric: 'probe_tls_cert_days_left', ts, value: 30, labels: { probe: 'site', le: '1' } },
    { metric: 'probe_up', ts, value: 1, labels: { probe: 'site' } },
    { metric: 'ntp_offset_seconds', ts, value: -0.002 },
    { metric: 'temperature_celsius', ts, value: 48, labels: { sensor: 'cpu' } },
  ];
}

/** Runs `promtool check metrics` on `text`: its exit code and everything it printed. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe.skipIf(skipWithout(hasPromtool))('GET /v1/metrics under promtool', () => {
  beforeAll(async () => {
    platform = await startLocalPlatform();
    const ts = Date.now() - 5_000;
    const host = await enroll('host-1');
    const other = await enroll('host-2');
    const real = (await hostSamples()).map((s) => ({ ...s, ts }));
    await ingest(host.deviceToken, 'host-1-a', [...real, ...agentKinds(ts)]);
    await ingest(other.deviceToken, 'host-2-a', agentKinds(ts));
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('passes promtool check metrics with no problem reported', async () => {
    const res = await fetch(`${platform!.url}/v1/metrics`, {
      headers: { authorization: `Bearer ${platform!.seed.apiKey}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE edgewatch_net_rx_errors_total counter');
    expect(text).toContain('# TYPE edgewatch_diskio_io_time_seconds_per_second gauge');
    expect(text).toMatch(/^edgewatch_mem_used_bytes\{device_id="[^"]+",device="host-1"\} \d+$/m);
    const { code, output } = await promtoolCheck(text);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('sends no sample timestamps, so Prometheus stamps each scrape itself', async () => {
    const res = await fetch(`${platform!.url}/v1/metrics`, {
      headers: { authorization: `Bearer ${platform!.seed.apiKey}` },
    });
    const samples = (await res.text()).split('\n').filter((l) => l.startsWith('edgewatch_'));
    expect(samples.length).toBeGreaterThan(20);
    // A sample line is `name{labels} value`; a timestamp would be a third field after the labels.
    for (const line of samples)
      expect(
        line
          .slice(line.lastIndexOf('}') + 1)
          .trim()
          .split(' '),
      ).toHaveLength(1);
  });
});
