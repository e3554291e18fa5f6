import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import os from 'node:os';
import si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { sample as wireSample } from '../../schema/wire/ingest.ts';
import { createCpuCollector } from '../../agent/src/collectors/cpu.ts';
import { createDiskCollector } from '../../agent/src/collectors/disk.ts';
import {
  COLLECTOR_NAMES,
  createCollectors,
  DEFAULT_INTERVALS,
  defaultIntervalSeconds,
  type CollectorName,
} from '../../agent/src/collectors/index.ts';
import { createLoadCollector } from '../../agent/src/collectors/load.ts';
import { createMemoryCollector } from '../../agent/src/collectors/memory.ts';
import { createNetworkCollector } from '../../agent/src/collectors/network.ts';
import { DEFAULT_AGENT_CONFIG } from '../../schema/wire/agent-config.ts';
import { busy, byMetric, one } from './helpers/samples.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cpu collector', () => {
  it('takes a baseline on its first read and returns nothing', async () => {
    expect(await createCpuCollector({ source: 'proc' }).collect()).toEqual([]);
  });

  it('reports total usage without labels and per-core usage, all between 0 and 100', async () => {
    const cpu = createCpuCollector({ source: 'proc' });
    await cpu.collect();
    busy(150);
    await pause(100);
    const samples = await cpu.collect();

    const total = one(samples, 'cpu_usage_percent');
    expect(total.labels).toBeUndefined();
    expect(total.value).toBeGreaterThan(0);
    for (const s of samples) expect(s.value, s.metric).toBeGreaterThanOrEqual(0);
    for (const s of samples) expect(s.value, s.metric).toBeLessThanOrEqual(100);

    const cores = byMetric(samples, 'cpu_core_usage_percent');
    expect(cores.map((c) => c.labels?.core).sort()).toEqual(
      os
        .cpus()
        .map((_, i) => String(i))
        .sort(),
    );
    // Busy is user + system + steal; iowait counts as idle.
    const part = (m: string) => one(samples, m).value;
    expect(total.value).toBeCloseTo(
      part('cpu_user_percent') + part('cpu_system_percent') + part('cpu_steal_percent'),
      6,
    );
    expect(part('cpu_iowait_percent')).toBeGreaterThanOrEqual(0);
  });

  it('reports the same total metric through systeminformation', async () => {
    const cpu = createCpuCollector({ source: 'systeminformation' });
    expect(await cpu.collect()).toEqual([]);
    busy(100);
    await pause(250);
    const total = one(await cpu.collect(), 'cpu_usage_percent');
    expect(total.value).toBeGreaterThanOrEqual(0);
    expect(total.value).toBeLessThanOrEqual(100);
  });
});

describe('load collector', () => {
  it('reports load1, load5 and load15 as os.loadavg() does', async () => {
    const samples = await createLoadCollector().collect();
    const [l1, l5, l15] = os.loadavg();
    expect(one(samples, 'load1').value).toBeCloseTo(l1!, 0);
    expect(one(samples, 'load5').value).toBeCloseTo(l5!, 0);
    expect(one(samples, 'load15').value).toBeCloseTo(l15!, 0);
  });
});

describe('memory collector', () => {
  it('reports a total equal to os.totalmem() and used + available = total', async () => {
    const samples = await createMemoryCollector().collect();
    const total = one(samples, 'mem_total_bytes').value;
    expect(total).toBe(os.totalmem());
    expect(one(samples, 'mem_used_bytes').value + one(samples, 'mem_available_bytes').value).toBe(total);
    expect(one(samples, 'mem_used_bytes').value).toBeGreaterThan(0);
    expect(one(samples, 'swap_used_bytes').value).toBeLessThanOrEqual(one(samples, 'swap_total_bytes').value);
  });
});

describe('disk collector', () => {
  it('reports the root filesystem and no pseudo filesystems', async () => {
    const samples = await createDiskCollector({ source: 'statfs' }).collect();
    const mounts = new Set(samples.map((s) => s.labels?.mount));
    expect(mounts).toContain('/');
    for (const m of mounts) expect(m).not.toMatch(/^\/(proc|sys|dev)(\/|$)/);
    const root = samples.filter((s) => s.labels?.mount === '/');
    const v = (m: string) => one(root, m).value;
    expect(v('disk_total_bytes')).toBeGreaterThan(v('disk_used_bytes'));
    expect(v('disk_used_bytes')).toBeGreaterThan(0);
    expect(v('disk_used_percent')).toBeGreaterThan(0);
    expect(v('disk_used_percent')).toBeLessThan(100);
    // `fs` names the mounted device, as /proc/self/mounts lists it for `/`.
    const rootSource = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f[1] === '/')?.[0];
    expect(one(root, 'disk_total_bytes').labels?.fs).toBe(rootSource);
  });

  it('agrees with df (si.fsSize) on the size and usage of /', async () => {
    const [ours, df] = await Promise.all([createDiskCollector({ source: 'statfs' }).collect(), si.fsSize()]);
    const dfRoot = df.find((f) => f.mount === '/')!;
    const root = ours.filter((s) => s.labels?.mount === '/');
    // df works in KiB; other processes may write between the two reads.
    expect(Math.abs(one(root, 'disk_total_bytes').value - dfRoot.size)).toBeLessThan(1024 * 1024);
    expect(Math.abs(one(root, 'disk_used_bytes').value - dfRoot.used)).toBeLessThan(256 * 1024 * 1024);
    expect(one(root, 'disk_used_percent').value).toBeCloseTo(dfRoot.use, 0);
  });
});

describe('network collector', () => {
  it('reports per-interface rates from the second read, skipping loopback', async () => {
    const net = createNetworkCollector({ source: 'proc' });
    const first = await net.collect();
    expect(byMetric(first, 'net_rx_bytes_per_second')).toEqual([]);
    expect(byMetric(first, 'net_rx_errors_total').length).toBeGreaterThan(0);
    await pause(200);
    const second = await net.collect();
    const ifaces = os.networkInterfaces();
    const rx = byMetric(second, 'net_rx_bytes_per_second');
    expect(rx.length).toBeGreaterThan(0);
    for (const s of second) {
      expect(s.labels?.iface).not.toBe('lo');
      expect(s.value).toBeGreaterThanOrEqual(0);
    }
    // Every interface Node sees with an address, other than loopback, has a rate.
    const named = Object.keys(ifaces).filter((n) => n !== 'lo');
    for (const n of named) expect(rx.map((s) => s.labels?.iface)).toContain(n);
    expect(byMetric(second, 'net_tx_bytes_per_second')).toHaveLength(rx.length);
    for (const m of [
      'net_rx_packets_per_second',
      'net_tx_packets_per_second',
      'net_rx_drops_total',
      'net_tx_drops_total',
    ])
      expect(byMetric(second, m), m).toHaveLength(rx.length);
  });

  it('reports the same metrics through systeminformation', async () => {
    const net = createNetworkCollector({ source: 'systeminformation' });
    await net.collect();
    await pause(600);
    const samples = await net.collect();
    expect(samples.some((s) => s.labels?.iface === 'lo')).toBe(false);
    expect(byMetric(samples, 'net_tx_errors_total').length).toBeGreaterThan(0);
    expect(byMetric(samples, 'net_rx_bytes_per_second').length).toBeGreaterThan(0);
  });
});

describe('collector registry', () => {
  it('creates every collector with something to collect, at its default interval', () => {
    const collectors = createCollectors();
    // probes, processes and self need settings or the agent's parts; without them they are left out.
    expect(collectors.map((c) => c.name)).toEqual(
      COLLECTOR_NAMES.filter((n) => !['probes', 'processes', 'self'].includes(n)),
    );
    for (const c of collectors) expect(c.intervalMs, c.name).toBe(DEFAULT_INTERVALS[c.name as CollectorName] * 1000);
    expect(createCollectors({ intervalMs: 30_000 }).every((c) => c.intervalMs === 30_000)).toBe(true);
  });

  it('lets the local interval set the fast collectors, never making the slow ones faster', () => {
    expect(defaultIntervalSeconds('cpu', 1)).toBe(1);
    expect(defaultIntervalSeconds('ntp', 1)).toBe(300);
    expect(defaultIntervalSeconds('cpu', 60)).toBe(60);
    expect(defaultIntervalSeconds('probes', 60)).toBe(60);
    expect(defaultIntervalSeconds('ntp', 60)).toBe(300);
    for (const name of COLLECTOR_NAMES) expect(defaultIntervalSeconds(name)).toBe(DEFAULT_INTERVALS[name]);
  });

  it('produces only samples the Worker accepts', async () => {
    const config = {
      ...DEFAULT_AGENT_CONFIG,
      processes: [{ name: 'vitest', match: 'vitest' }],
      ntp: { server: '127.0.0.1', port: await closedUdpPort() },
    };
    const collectors = createCollectors({ config });
    await Promise.all(collectors.map((c) => c.collect()));
    await pause(200);
    const samples = (await Promise.all(collectors.map((c) => c.collect()))).flat();
    expect(samples.length).toBeGreaterThan(20);
    for (const s of samples) expect(wireSample.safeParse(s).error, JSON.stringify(s)).toBeUndefined();
    const metrics = new Set(samples.map((s) => s.metric));
    for (const m of ['cpu_usage_percent', 'diskio_reads_per_second', 'host_uptime_seconds', 'process_count', 'ntp_up'])
      expect(metrics).toContain(m);
  });
});

/** A UDP port nothing answers on: bound, then released. */
async function closedUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const { port } = socket.address();
  await new Promise<void>((r) => socket.close(r));
  return port;
}
