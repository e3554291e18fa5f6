import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskIoCollector } from '../../agent/src/collectors/diskio.ts';
import { createSelfCollector } from '../../agent/src/collectors/self.ts';
import { createTemperatureCollector } from '../../agent/src/collectors/temperature.ts';
import { createUptimeCollector } from '../../agent/src/collectors/uptime.ts';
import { createMemorySpool } from '../../agent/src/spool/memory.ts';
import { byMetric, one } from './helpers/samples.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('diskio collector', () => {
  it('reports rates per whole disk from the second read, without partitions, loop or ram devices', async () => {
    const diskio = createDiskIoCollector();
    expect(await diskio.collect()).toEqual([]);
    await writeFile(join(tmpdir(), `edgewatch-diskio-${process.pid}`), Buffer.alloc(1 << 20));
    await pause(200);
    const samples = await diskio.collect();
    const devices = new Set(samples.map((s) => s.labels?.device));
    const whole = (await readdir('/sys/block')).filter((d) => !/^(loop|ram|zram)\d+$/.test(d));
    expect([...devices].sort()).toEqual(whole.sort());
    for (const s of samples) expect(s.value, `${s.metric} ${s.labels?.device}`).toBeGreaterThanOrEqual(0);
    for (const s of byMetric(samples, 'diskio_io_time_ms_per_second')) expect(s.value).toBeLessThanOrEqual(1_100);
    for (const m of [
      'diskio_read_bytes_per_second',
      'diskio_write_bytes_per_second',
      'diskio_reads_per_second',
      'diskio_writes_per_second',
    ])
      expect(byMetric(samples, m)).toHaveLength(devices.size);
    await rm(join(tmpdir(), `edgewatch-diskio-${process.pid}`), { force: true });
  });
});

describe('uptime collector', () => {
  it('reports the host uptime as os.uptime() and the uptime of this process', async () => {
    const samples = await createUptimeCollector().collect();
    expect(one(samples, 'host_uptime_seconds').value).toBeGreaterThan(0);
    expect(Math.abs(one(samples, 'host_uptime_seconds').value - os.uptime())).toBeLessThan(2);
    expect(one(samples, 'agent_uptime_seconds').value).toBeGreaterThan(0);
    expect(one(samples, 'agent_uptime_seconds').value).toBeLessThanOrEqual(one(samples, 'host_uptime_seconds').value);
  });
});

describe('temperature collector', () => {
  it('reports nothing, or plausible readings, from the sensors of this host', async () => {
    const samples = await createTemperatureCollector().collect();
    for (const s of samples) {
      expect(s.metric).toBe('temperature_celsius');
      expect(s.value).toBeGreaterThan(-60);
      expect(s.value).toBeLessThan(200);
      expect(s.labels?.chip).toMatch(/\S/);
      expect(s.labels?.sensor).toMatch(/\S/);
    }
  });

  it('reads hwmon inputs with chip and sensor labels and skips implausible ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'edgewatch-hwmon-'));
    try {
      const files: Record<string, string> = {
        'hwmon0/name': 'coretemp\n',
        'hwmon0/temp1_input': '45000\n',
        'hwmon0/temp1_label': 'Package id 0\n',
        'hwmon0/temp2_input': '41500\n',
        'hwmon1/name': 'nvme\n',
        'hwmon1/temp1_input': '-273000\n',
        'hwmon1/temp3_input': '38850\n',
        'hwmon2/name': 'nvme\n',
        'hwmon2/temp3_input': '40000\n',
      };
      for (const [path, text] of Object.entries(files)) {
        await mkdir(join(root, path, '..'), { recursive: true });
        await writeFile(join(root, path), text);
      }
      const samples = await createTemperatureCollector({ root }).collect();
      expect(samples.map((s) => [s.labels, s.value])).toEqual([
        [{ chip: 'coretemp', sensor: 'Package id 0' }, 45],
        [{ chip: 'coretemp', sensor: 'temp2' }, 41.5],
        [{ chip: 'nvme', sensor: 'temp3' }, 38.85],
        // A second chip of one driver (a second NVMe drive) is told apart, so no series repeats.
        [{ chip: 'nvme hwmon2', sensor: 'temp3' }, 40],
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('self collector', () => {
  it('reports the counters of the spool and the shipper', async () => {
    const spool = createMemorySpool();
    await spool.add([{ metric: 'x', ts: Date.now(), value: 1 }]);
    const shipper = {
      stats: () => ({ batchesShipped: 3, samplesShipped: 30, batchesRejected: 0, shipErrors: 2, lastLatencyMs: 40 }),
    };
    const samples = await createSelfCollector({ spool, shipper }).collect();
    const v = (m: string) => one(samples, m).value;
    expect(v('agent_spool_pending_samples')).toBe(1);
    expect(v('agent_batches_shipped_total')).toBe(3);
    expect(v('agent_ship_errors_total')).toBe(2);
    expect(v('agent_ship_latency_seconds')).toBeCloseTo(0.04, 6);
    expect(v('agent_rss_bytes')).toBeGreaterThan(0);
    // The memory spool does not know its size in bytes.
    expect(byMetric(samples, 'agent_spool_bytes')).toEqual([]);
  });
});
