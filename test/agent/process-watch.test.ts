import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createProcessesCollector } from '../../agent/src/collectors/processes.ts';
import { createLogger } from '../../agent/src/log.ts';
import { busy, byMetric, one } from './helpers/samples.ts';

describe('processes collector', () => {
  it('finds the vitest process by a substring of its command line, with its RSS and CPU', async () => {
    const watch = createProcessesCollector({ watches: [{ name: 'vitest', match: 'vitest' }] });
    const first = await watch.collect();
    expect(one(first, 'process_count').value).toBeGreaterThanOrEqual(1);
    expect(one(first, 'process_rss_bytes').value).toBeGreaterThan(10 * 1024 * 1024);
    expect(byMetric(first, 'process_cpu_percent')).toEqual([]);
    busy(200);
    const second = await watch.collect();
    expect(one(second, 'process_cpu_percent').value).toBeGreaterThan(0);
    expect(one(second, 'process_cpu_percent').labels).toEqual({ process: 'vitest' });
  });

  it('counts this process once by a /regex/ on its pid-free command line, and reports 0 for no match', async () => {
    const me = (await readFile('/proc/self/cmdline', 'utf8')).split('\0').filter(Boolean).join(' ');
    const escaped = me.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const watch = createProcessesCollector({
      watches: [
        { name: 'me', match: `/^${escaped}$/` },
        { name: 'none', match: 'no-such-process-edgewatch-test' },
      ],
    });
    const samples = await watch.collect();
    const by = (name: string, metric: string) =>
      samples.find((s) => s.labels?.process === name && s.metric === metric)?.value;
    expect(by('me', 'process_count')).toBeGreaterThanOrEqual(1);
    // RSS of this process, as Node sees it, within what it can grow between the two reads.
    expect(by('me', 'process_rss_bytes')).toBeGreaterThanOrEqual(process.memoryUsage.rss() * 0.5);
    expect(by('none', 'process_count')).toBe(0);
    expect(by('none', 'process_rss_bytes')).toBe(0);
  });

  it('skips a watch whose regex does not compile, and logs it', async () => {
    const lines: string[] = [];
    const watch = createProcessesCollector({
      watches: [
        { name: 'bad', match: '/(unclosed/' },
        { name: 'ok', match: 'vitest' },
      ],
      log: createLogger({ write: (l) => lines.push(l) }),
    });
    const samples = await watch.collect();
    expect(new Set(samples.map((s) => s.labels?.process))).toEqual(new Set(['ok']));
    expect(lines.join('')).toContain('invalid pattern');
  });
});
