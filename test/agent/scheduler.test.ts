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
});
