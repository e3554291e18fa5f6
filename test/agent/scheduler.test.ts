import { afterEach, describe, expect, it } from 'vitest';
import type { Collector, Sample } from '../../agent/src/collectors/types.ts';
import { createLogger } from '../../agent/src/log.ts';
import { startCollectors, type Scheduler } from '../../agent/src/scheduler.ts';
import { until } from './helpers/http-server.ts';

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

const counting = (name: string, intervalMs: number, make: (n: number) => Sample[] | Error) => {
  let calls = 0;
  const collector: Collector = {
    name,
    intervalMs,
    async collect() {
      const r = make(++calls);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  return { collector, calls: () => calls };
};

describe('collector scheduler', () => {
  it('runs each collector at once and then on its interval', async () => {
    const received: Sample[] = [];
    const a = counting('a', 100, (n) => [{ metric: 'a', ts: Date.now(), value: n }]);
    scheduler = startCollectors({
      collectors: [a.collector],
      log: createLogger({ write: () => {} }),
      onSamples: async (s) => void received.push(...s),
    });
    expect(a.calls()).toBe(1);
    await until('three runs', () => (received.length >= 3 ? true : undefined), 2_000);
    expect(received.map((s) => s.value).slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('logs a failing collector once, keeps the others running, and notes its recovery', async () => {
    const lines: string[] = [];
    const received: string[] = [];
    const bad = counting('bad', 50, (n) =>
      n < 4 ? new Error('no /proc') : [{ metric: 'bad', ts: Date.now(), value: n }],
    );
    const good = counting('good', 50, () => [{ metric: 'good', ts: Date.now(), value: 1 }]);
    scheduler = startCollectors({
      collectors: [bad.collector, good.collector],
      log: createLogger({ write: (l) => lines.push(l) }),
      onSamples: async (s) => void received.push(...s.map((x) => x.metric)),
    });
    await until('recovery', () => (received.includes('bad') ? true : undefined), 3_000);
    const msgs = lines.map((l) => JSON.parse(l) as { msg: string; collector: string });
    expect(msgs.filter((m) => m.msg === 'collector failed')).toEqual([expect.objectContaining({ collector: 'bad' })]);
    expect(msgs.some((m) => m.msg === 'collector recovered' && m.collector === 'bad')).toBe(true);
    expect(received.filter((m) => m === 'good').length).toBeGreaterThanOrEqual(3);
  });

  it('drops readings that are not finite numbers, which the Worker would refuse', async () => {
    const received: Sample[] = [];
    const c = counting('c', 60_000, () => [
      { metric: 'ok', ts: Date.now(), value: 1 },
      { metric: 'nan', ts: Date.now(), value: NaN },
      { metric: 'inf', ts: Date.now(), value: Infinity },
    ]);
    scheduler = startCollectors({
      collectors: [c.collector],
      log: createLogger({ write: () => {} }),
      onSamples: async (s) => void received.push(...s),
    });
    await until('the first run', () => (received.length > 0 ? true : undefined));
    expect(received.map((s) => s.metric)).toEqual(['ok']);
  });

  it('runs nothing more after stop', async () => {
    const c = counting('c', 20, () => []);
    scheduler = startCollectors({
      collectors: [c.collector],
      log: createLogger({ write: () => {} }),
      onSamples: async () => {},
    });
    await until('a few runs', () => (c.calls() >= 2 ? true : undefined));
    await scheduler.stop();
    const after = c.calls();
    await new Promise((r) => setTimeout(r, 100));
    expect(c.calls()).toBe(after);
  });

  it('aborts a run in progress on stop and drops what it would have returned', async () => {
    const received: Sample[] = [];
    let aborted = false;
    const slow: Collector = {
      name: 'slow',
      intervalMs: 60_000,
      collect: (signal) =>
        new Promise((_resolve, reject) =>
          signal!.addEventListener('abort', () => {
            aborted = true;
            reject(signal!.reason as Error);
          }),
        ),
    };
    const lines: string[] = [];
    scheduler = startCollectors({
      collectors: [slow],
      log: createLogger({ write: (l) => lines.push(l) }),
      onSamples: async (s) => void received.push(...s),
    });
    await scheduler.stop();
    expect(aborted).toBe(true);
    expect(received).toEqual([]);
    // Being stopped is not a collector failure.
    expect(lines).toEqual([]);
  });
});

describe('scheduler reconfiguration', () => {
  const quiet = createLogger({ write: () => {} });
  const sampleOf = (name: string) => () => [{ metric: name, ts: Date.now(), value: 1 }];

  it('starts added collectors, stops removed ones, and leaves unchanged ones running', async () => {
    const received: string[] = [];
    const a = counting('a', 40, sampleOf('a'));
    const b = counting('b', 40, sampleOf('b'));
    const c = counting('c', 40, sampleOf('c'));
    scheduler = startCollectors({
      collectors: [a.collector, b.collector],
      log: quiet,
      onSamples: async (s) => void received.push(...s.map((x) => x.metric)),
    });
    await until('a few runs of b', () => (b.calls() >= 2 ? true : undefined));
    const aBefore = a.calls();

    const change = scheduler.reconfigure([a.collector, c.collector]);
    expect(change).toEqual({ started: ['c'], stopped: ['b'], replaced: [], rescheduled: [], kept: ['a'] });
    // Started at once, not at the next boundary; the kept one did not run again because of it.
    expect(c.calls()).toBe(1);
    expect(a.calls()).toBe(aBefore);
    const bStopped = b.calls();
    await until('more runs of a and c', () => (a.calls() >= aBefore + 3 && c.calls() >= 3 ? true : undefined));
    expect(b.calls()).toBe(bStopped);
    expect(scheduler.collectors().map((x) => x.name)).toEqual(['a', 'c']);
  });

  it('moves a collector to a new interval without a restart when only the interval changed', async () => {
    const a = counting('a', 60_000, sampleOf('a'));
    scheduler = startCollectors({ collectors: [a.collector], log: quiet, onSamples: async () => {} });
    await until('the first run', () => (a.calls() === 1 ? true : undefined));
    const change = scheduler.reconfigure([{ ...a.collector, intervalMs: 30 }]);
    expect(change.rescheduled).toEqual(['a']);
    expect(a.calls()).toBe(1);
    await until('runs at the new interval', () => (a.calls() >= 4 ? true : undefined), 2_000);
  });

  it('replaces a collector whose instance changed, aborting the old one mid-run', async () => {
    let oldAborted = false;
    const old: Collector = {
      name: 'probes',
      intervalMs: 60_000,
      collect: (signal) =>
        new Promise((_r, reject) =>
          signal!.addEventListener('abort', () => {
            oldAborted = true;
            reject(new Error('aborted'));
          }),
        ),
    };
    const received: Sample[] = [];
    scheduler = startCollectors({ collectors: [old], log: quiet, onSamples: async (s) => void received.push(...s) });
    const fresh = counting('probes', 60_000, sampleOf('new'));
    expect(scheduler.reconfigure([fresh.collector]).replaced).toEqual(['probes']);
    await until('the new instance to deliver', () => (received.length > 0 ? true : undefined));
    expect(oldAborted).toBe(true);
    expect(received.map((s) => s.metric)).toEqual(['new']);
  });
});
