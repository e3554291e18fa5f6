import { describe, expect, it } from 'vitest';
import { parseProcMeminfo } from '../../agent/src/collectors/linux-proc.ts';
import { createMemoryCollector } from '../../agent/src/collectors/memory.ts';

const MEMINFO = `MemTotal:       16318400 kB
MemFree:         1202000 kB
MemAvailable:    9000000 kB
Buffers:          300000 kB
Cached:          7000000 kB
Slab:             500000 kB
SwapTotal:       2097148 kB
SwapFree:        2000000 kB
`;

describe('parseProcMeminfo', () => {
  it('reads total, available and swap in bytes', () => {
    expect(parseProcMeminfo(MEMINFO)).toEqual({
      total: 16318400 * 1024,
      available: 9000000 * 1024,
      swapTotal: 2097148 * 1024,
      swapUsed: (2097148 - 2000000) * 1024,
    });
  });

  it('derives available from free, buffers, cached and slab on kernels without MemAvailable', () => {
    const old = MEMINFO.replace(/^MemAvailable:.*\n/m, '');
    expect(parseProcMeminfo(old)?.available).toBe((1202000 + 300000 + 7000000 + 500000) * 1024);
  });

  it('gives nothing for a file without MemTotal', () => {
    expect(parseProcMeminfo('SwapTotal: 0 kB\n')).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('memory collector on Linux', () => {
  it('reads /proc/meminfo directly and agrees with systeminformation', async () => {
    const byMetric = async (source: 'proc' | 'systeminformation') =>
      new Map((await createMemoryCollector({ source }).collect()).map((s) => [s.metric, s.value]));
    const [proc, si] = await Promise.all([byMetric('proc'), byMetric('systeminformation')]);
    expect([...proc.keys()].sort()).toEqual([...si.keys()].sort());
    // Totals are fixed; available and swap move between the two reads, by little.
    expect(proc.get('mem_total_bytes')).toBe(si.get('mem_total_bytes'));
    expect(proc.get('swap_total_bytes')).toBe(si.get('swap_total_bytes'));
    const total = proc.get('mem_total_bytes')!;
    expect(Math.abs(proc.get('mem_available_bytes')! - si.get('mem_available_bytes')!)).toBeLessThan(total * 0.05);
  });
});
