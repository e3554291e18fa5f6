import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollectionMarks, readCollectionMarks } from '../../agent/src/collection-marks.ts';
import type { Collector, Sample } from '../../agent/src/collectors/types.ts';
import { createLogger } from '../../agent/src/log.ts';
import { startCollectors, type Scheduler } from '../../agent/src/scheduler.ts';
import { cliSandbox } from './helpers/cli-sandbox.ts';
import { startConfigServer } from './helpers/config-server.ts';
import { until } from './helpers/http-server.ts';
import { isolatedEnv, startCli } from './helpers/run-cli.ts';

const quiet = createLogger({ write: () => {} });
const sb = cliSandbox();
let schedulers: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.map((s) => s.stop()));
  schedulers = [];
});

const gauge = (): Collector => ({
  name: 'gauge',
  intervalMs: INTERVAL,
  collect: async () => [{ metric: 'gauge', ts: Date.now(), value: 1 }],
});
// Like cpu or network: the first call only takes a baseline.
const rate = (): Collector & { calls: () => number } => {
  let calls = 0;
  return {
    name: 'rate',
    intervalMs: INTERVAL,
    collect: async () => (++calls === 1 ? [] : [{ metric: 'rate', ts: Date.now(), value: calls }]),
    calls: () => calls,
  };
};

const INTERVAL = 600;
const windowOf = (ts: number, interval = INTERVAL) => Math.floor(ts / interval);
const windows = (samples: Sample[], metric: string, interval = INTERVAL) =>
  samples.filter((s) => s.metric === metric).map((s) => windowOf(s.ts, interval));

describe('a restart of the collectors', () => {
  it('never writes a second sample into an interval already sampled, and primes rate collectors at once', async () => {
    // The restart must land in the interval of the first run for the test to mean anything,
    // so start just after a boundary; on a loaded machine the first run can take the rest of the
    // interval, and then the setup is tried again (at most three times).
    const received: Sample[] = [];
    const marks = new Map<string, number>();
    const onSamples = async (s: Sample[]) => void received.push(...s);
    let restartWindow = NaN;
    for (let attempt = 1; attempt <= 3; attempt++) {
      received.length = 0;
      marks.clear();
      await new Promise((r) => setTimeout(r, INTERVAL - (Date.now() % INTERVAL) + 20));
      const first = startCollectors({
        collectors: [gauge()],
        log: quiet,
        onSamples,
        onRun: (name, at) => marks.set(name, at),
      });
      schedulers.push(first);
      await until('the first sample', () => (received.length === 1 ? true : undefined));
      await first.stop();
      restartWindow = windowOf(Date.now());
      if (windowOf(marks.get('gauge')!) === restartWindow) break;
    }
    expect(windowOf(marks.get('gauge')!)).toBe(restartWindow);

    const r = rate();
    schedulers.push(
      startCollectors({ collectors: [gauge(), r], log: quiet, onSamples, lastRuns: new Map([...marks, ['rate', 0]]) }),
    );
    expect(r.calls()).toBe(1);
    await until('two more gauge samples', () => (windows(received, 'gauge').length >= 3 ? true : undefined), 5_000);
    const gauges = windows(received, 'gauge');
    expect(new Set(gauges).size).toBe(gauges.length);
    expect(gauges.slice(0, 3)).toEqual([restartWindow, restartWindow + 1, restartWindow + 2]);
    expect(windows(received, 'rate')[0]).toBe(restartWindow + 1);
  });

  it('samples at once after a restart when the last sample is from an earlier interval', async () => {
    const received: Sample[] = [];
    schedulers.push(
      startCollectors({
        collectors: [gauge()],
        log: quiet,
        onSamples: async (s) => void received.push(...s),
        lastRuns: new Map([['gauge', Date.now() - 2 * INTERVAL]]),
      }),
    );
    const sample = await until('a sample', () => received[0]);
    expect(windowOf(sample.ts)).toBe(windowOf(Date.now()));
  });
});

describe('collection marks', () => {
  it('survive a restart on disk; a missing or damaged file reads as no marks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgewatch-marks-'));
    try {
      const path = join(dir, 'state', 'last-collection.json');
      expect(await readCollectionMarks(path)).toEqual(new Map());
      const marks = createCollectionMarks(path, new Map([['disk', 5]]), quiet);
      marks.mark('cpu', 1_000);
      marks.mark('cpu', 2_000);
      marks.mark('load', 3_000);
      await marks.flush();
      expect(await readCollectionMarks(path)).toEqual(
        new Map([
          ['disk', 5],
          ['cpu', 2_000],
          ['load', 3_000],
        ]),
      );
      await writeFile(path, '{"cpu": 1');
      expect(await readCollectionMarks(path)).toEqual(new Map());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('edgewatch-agent run, restarted', () => {
  it('ships at most one load sample per interval across a stop and a start', async () => {
    const server = await startConfigServer();
    sb.server = server;
    const env = {
      ...isolatedEnv(sb.dir),
      EDGEWATCH_URL: server.url,
      EDGEWATCH_TOKEN: 'ewd.test',
      EDGEWATCH_INTERVAL: '2',
      EDGEWATCH_SPOOL_DIR: join(sb.dir, 'state'),
    };
    const load = () => server.samples().filter((s) => s.metric === 'load1');
    for (let round = 1; round <= 2; round++) {
      const agent = startCli(['run'], env);
      sb.children.push(agent.child);
      const want = load().length + 1;
      await until(`load sample from run ${round}`, () => (load().length >= want ? true : undefined), 15_000);
      agent.child.kill('SIGTERM');
      expect(await agent.exited, agent.out.stderr).toBe(0);
    }
    const seen = load().map((s) => windowOf(s.ts, 2_000));
    expect(new Set(seen).size, JSON.stringify(seen)).toBe(seen.length);
  }, 40_000);
});
