import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createProcessesCollector } from '../../agent/src/collectors/processes.ts';
import type { Sample } from '../../agent/src/collectors/types.ts';
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

describe('processes collector: responsiveness', () => {
  it('runs where it is measured: Linux with the scheduler statistics run delay comes from', () => {
    // A machine without them (CONFIG_SCHED_INFO) fails here, loudly, rather than skipping the test below.
    expect(process.platform).toBe('linux');
    expect(existsSync('/proc/self/schedstat')).toBe(true);
  });

  const children: ChildProcess[] = [];
  const stopChildren = () =>
    Promise.all(
      children.splice(0).map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
  afterAll(stopChildren);

  /** A Node child running `code`, with `marker` on its command line for the watch to match. */
  const child = (code: string, marker: string) =>
    keep(spawn(process.execPath, ['-e', code, marker], { stdio: 'ignore' }));
  const keep = (c: ChildProcess) => {
    children.push(c);
    return c;
  };

  /** Until the child has exec'd: before that, its /proc/<pid>/cmdline is still this process's. */
  const started = async (c: ChildProcess, marker: string) => {
    for (let i = 0; i < 200; i++) {
      const cmdline = await readFile(`/proc/${c.pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(marker)) return;
      await sleep(10);
    }
    throw new Error(`child ${c.pid} never showed ${marker}`);
  };

  const of = (samples: Sample[], group: string, metric: string) =>
    samples.find((s) => s.labels?.process === group && s.metric === metric)?.value;

  it('shows a growing run delay for processes kept runnable under CPU contention, against an idle one', async () => {
    const tag = `${process.pid}-${Date.now()}`;
    const busyMarker = `edgewatch-test-busy-${tag}`;
    const idleMarker = `edgewatch-test-idle-${tag}`;
    try {
      // One more spinning process than there are cores: at least one is always runnable and waiting.
      const spinners = Array.from({ length: availableParallelism() + 1 }, () => child('for(;;){}', busyMarker));
      // The idle one is `sleep` (named by the marker), not Node: an idle Node still starts up, compiles and
      // collects garbage on its threads, and under this contention it was preempted several times a second.
      const idle = keep(spawn('sleep', ['600'], { argv0: idleMarker, stdio: 'ignore' }));
      await Promise.all([...spinners.map((c) => started(c, busyMarker)), started(idle, idleMarker)]);

      const watch = createProcessesCollector({
        watches: [
          { name: 'busy', match: busyMarker },
          { name: 'idle', match: idleMarker },
        ],
      });
      const first = await watch.collect();
      expect(of(first, 'busy', 'process_count')).toBe(spinners.length);
      expect(of(first, 'idle', 'process_count')).toBe(1);
      expect(byMetric(first, 'process_run_delay_rate')).toEqual([]);
      // Real time passing under contention is what is measured.
      await sleep(1000);
      const second = await watch.collect();
      const schedstat = await readFile(`/proc/${idle.pid}/schedstat`, 'utf8');

      const busyRate = of(second, 'busy', 'process_run_delay_rate')!;
      const idleRate = of(second, 'idle', 'process_run_delay_rate')!;
      console.log(
        `responsiveness: ${spinners.length} spinners on ${availableParallelism()} cores waited ${busyRate.toFixed(3)} s/s for a CPU ` +
          `(${of(second, 'busy', 'process_context_switches_involuntary_per_second')!.toFixed(0)} preemptions/s); ` +
          `the idle process ${idleRate.toFixed(4)} s/s (${of(second, 'idle', 'process_context_switches_involuntary_per_second')!.toFixed(1)}/s)`,
      );
      // One process more than cores waits about a core's worth of time each second; the idle one never waits.
      expect(busyRate).toBeGreaterThan(0.3);
      expect(idleRate).toBeLessThan(0.05);
      expect(of(second, 'busy', 'process_run_delay_seconds_total')).toBeGreaterThan(
        of(first, 'busy', 'process_run_delay_seconds_total')!,
      );
      // The idle child sleeps, so its run delay holds still between the collector's read and this one.
      const direct = Number(schedstat.split(' ')[1]) / 1e9;
      expect(Math.abs(of(second, 'idle', 'process_run_delay_seconds_total')! - direct)).toBeLessThanOrEqual(0.001);
      // Spinners never block, so the scheduler preempts them; the idle child neither runs nor is preempted.
      expect(of(second, 'busy', 'process_context_switches_involuntary_per_second')).toBeGreaterThan(10);
      expect(of(second, 'idle', 'process_context_switches_involuntary_per_second')).toBeLessThan(5);
      for (const group of ['busy', 'idle']) {
        expect(of(second, group, 'process_context_switches_voluntary_per_second'), group).toBeTypeOf('number');
        expect(of(second, group, 'process_major_faults_per_second'), group).toBeTypeOf('number');
      }
    } finally {
      await stopChildren();
    }
  }, 30_000);
});
