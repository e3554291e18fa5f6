/**
 * `npm run bench -- gateway`: one gateway agent polling 10 simulated T3 controllers × 256 points
 * (answering in 2 s a request) through the real local platform, beside a bare modbus-serial loop
 * reading the same registers in the same requests, and the theoretical bound.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type Simulator } from '../agent/src/gateway/simulator/index.ts';
import { ROOT } from '../scripts/local/wrangler.ts';
import { until } from '../test/e2e/wait.ts';
import { onPath } from './debian.ts';
import { startPlatform } from './edgewatch.ts';
import type { BaselineInput, BaselineResult } from './gateway-baseline.ts';
import { ALL_POINTS, VALUE_REQUESTS } from './gateway-baseline.ts';
import { setUpGateway, shippedInWindow, type ExportRow } from './gateway-setup.ts';
import { percentile } from './load.ts';
import { cpuSeconds } from './proc-stats.ts';
import { sampleRss } from './proc-tree.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';

const CONTROLLERS = 10;
const ANSWER_MS = 2_000;
/**
 * The trend log's interval. A poll of all 256 values is 7 requests one after the other, 14 s at
 * 2 s an answer; the agent polls every controller at once (up to 64), so a round of all ten
 * also takes 14 s. 15 s is the shortest whole interval that fits it, so every slot is polled.
 */
const INTERVAL_S = 15;
/** Shorter than one controller's poll (14 s): polls overrun and slots are skipped. */
const SHORT_INTERVAL_S = 10;
// Overridable for quick trial runs; the documented figures use the defaults.
const WINDOW_S = Number(process.env.BENCH_GATEWAY_SECONDS ?? 60);
const SHORT_WINDOW_S = Number(process.env.BENCH_GATEWAY_SHORT_SECONDS ?? 40);
/**
 * Answer time while a new poller makes its first poll, which also reads every point's flags (13
 * requests, 26 s at 2 s, all ten at once). It is not measured, and the flags are
 * read again only after 10 minutes, so it runs fast to keep the module short.
 */
const WARM_ANSWER_MS = 50;
const BASELINE_CYCLES = 2;

const POINTS = ALL_POINTS.length * CONTROLLERS;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const nextMultiple = (t: number, ms: number) => t - (t % ms) + ms;
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));
const requestsOf = (sim: Simulator) => sim.controllers.map((c) => c.modbus.requests);
const setDelay = (sim: Simulator, ms: number) => sim.controllers.forEach((c) => c.modbus.setDelay(ms));

/** The theoretical bound: one request at a time per controller, each taking the answer time. */
const boundPerSec = (parallel: number) => (parallel * ALL_POINTS.length) / ((VALUE_REQUESTS.length * ANSWER_MS) / 1000);

async function baseline(ctx: BenchContext, sim: Simulator): Promise<BaselineResult & { simRequests: number }> {
  const input: BaselineInput = {
    host: sim.host,
    ports: sim.controllers.map((c) => c.modbus.port),
    cycles: BASELINE_CYCLES,
  };
  const before = sim.requests();
  const child = spawn(process.execPath, [join(ROOT, 'bench/gateway-baseline.ts'), JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ctx.defer(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the baseline exited with ${code}: ${err.slice(-2000)}`);
  return { ...(JSON.parse(out) as BaselineResult), simRequests: sim.requests() - before };
}

/** Waits until every controller got at least `n` requests since `from` and then none for 1 s: a first poll is over. */
async function firstPollsDone(sim: Simulator, from: number[], n: number, log: () => string) {
  let last = requestsOf(sim);
  let quietSince = Date.now();
  await until(
    `every controller's first poll (${n} requests)`,
    () => {
      const now = requestsOf(sim);
      if (now.some((r, i) => r !== last[i])) [last, quietSince] = [now, Date.now()];
      return now.every((r, i) => r - from[i]! >= n) && Date.now() - quietSince >= 1_000 ? true : undefined;
    },
    120_000,
    log,
  );
}

interface Window {
  from: number;
  to: number;
  cpuSeconds: number;
  peakRssMiB: number;
  /** Requests the simulator received, per controller. */
  requests: number[];
  values: ExportRow[];
  cycles: ExportRow[];
}

/**
 * Measures from wall-clock boundary `from` for `seconds`. Counters are read 0.5 s before each
 * boundary: the previous round's requests are in, the next round's not yet.
 */
async function measure(ctx: BenchContext, sim: Simulator, pid: number, from: number, seconds: number) {
  const to = from + seconds * 1000;
  ctx.log(`    window ${new Date(from).toISOString()} + ${seconds} s`);
  await sleepUntil(from - 500);
  const [cpu0, req0] = [cpuSeconds(pid), requestsOf(sim)];
  const rss = sampleRss([pid], 250);
  await sleepUntil(to - 500);
  const [cpu1, req1] = [cpuSeconds(pid), requestsOf(sim)];
  return { from, to, cpuSeconds: cpu1 - cpu0, peakRssMiB: rss.stop(), requests: req1.map((r, i) => r - req0[i]!) };
}

function summarize(w: Window, intervalS: number) {
  const seconds = (w.to - w.from) / 1000;
  const cycles = w.cycles.map((c) => c.value);
  const polls = cycles.length;
  const requests = w.requests.reduce((a, b) => a + b, 0);
  const slots = CONTROLLERS * Math.floor(seconds / intervalS);
  const perController = new Map<string, number>();
  for (const c of w.cycles) perController.set(c.labels.controller!, (perController.get(c.labels.controller!) ?? 0) + 1);
  const counts = [...perController.values()];
  // Between two poll ends of one controller: how far apart its samples really are.
  const ends = new Map<string, number[]>();
  for (const c of w.cycles) ends.set(c.labels.controller!, [...(ends.get(c.labels.controller!) ?? []), c.ts]);
  const gaps = [...ends.values()].flatMap((ts) =>
    ts.sort((a, b) => a - b).flatMap((t, i) => (i ? [t - ts[i - 1]!] : [])),
  );
  return {
    seconds,
    pointsPerSec: w.values.length / seconds,
    points: w.values.length,
    polls,
    slots,
    cycleP50S: percentile(cycles, 50),
    cycleMaxS: Math.max(...cycles),
    /** Latest end of a poll after its interval's boundary: when a round of all controllers is over. */
    roundS: Math.max(...w.cycles.map((c) => ((c.ts - w.from) % (intervalS * 1000)) / 1000)),
    maxGapS: gaps.length ? Math.max(...gaps) / 1000 : NaN,
    pollsPerController: {
      min: Math.min(...counts, ...(counts.length < CONTROLLERS ? [0] : [])),
      max: Math.max(...counts),
    },
    /**
     * Exact when every poll lies inside the window (the 15 s trend log: rounds end 1 s before the
     * next boundary); with overrunning polls the window cuts some in two, so it is only approximate.
     */
    requestsPerPoll: polls ? requests / polls : 0,
    simRequestsPerSec: requests / seconds,
    cpuPct: (w.cpuSeconds / seconds) * 100,
    cpuMsPer1kPoints: w.values.length ? (w.cpuSeconds * 1e6) / w.values.length : 0,
    cpuSeconds: w.cpuSeconds,
    peakRssMiB: w.peakRssMiB,
  };
}

export const gatewayBench: BenchModule = {
  name: 'gateway',
  async run(ctx) {
    const sim = await startSimulator({
      controllers: CONTROLLERS,
      delay: { minMs: ANSWER_MS, maxMs: ANSWER_MS },
      parts: [],
    });
    ctx.defer(() => sim.close());
    ctx.log(
      `  ${CONTROLLERS} simulated controllers × ${ALL_POINTS.length} points, ${ANSWER_MS} ms an answer, ${VALUE_REQUESTS.length} requests a poll`,
    );

    ctx.log(`  bare baseline: modbus-serial, all controllers in parallel, ${BASELINE_CYCLES} polls each back to back…`);
    const bare = await baseline(ctx, sim);
    const bareSeconds = bare.elapsedMs / 1000;
    const bareRate = bare.points / bareSeconds;
    const bareCpuMsPer1k = (bare.cpuSeconds * 1e6) / bare.points;
    const bareCpuPct = (bare.cpuSeconds / bareSeconds) * 100;
    ctx.log(`    ${round(bareRate)} points/s, ${round(bareCpuPct, 2)} % CPU`);

    ctx.log('  starting a fresh local platform (migrate, seed, wrangler dev)…');
    const platform = await startPlatform(ctx);
    setDelay(sim, WARM_ANSWER_MS);
    const zero = requestsOf(sim);
    const gw = await setUpGateway(ctx, platform, sim, INTERVAL_S);
    const pid = gw.agent.pid!;
    // The first poll reads values (7 requests) and flags (6): 13.
    await firstPollsDone(sim, zero, 13, gw.log);
    setDelay(sim, ANSWER_MS);

    ctx.log(`  edgewatch-agent, ${INTERVAL_S} s trend log:`);
    const m = await measure(ctx, sim, pid, nextMultiple(Date.now() + 1_000, INTERVAL_S * 1000), WINDOW_S);
    const main = summarize({ ...m, ...(await shippedInWindow(platform, gw.gatewayId, m.from, m.to)) }, INTERVAL_S);
    ctx.log(
      `    ${round(main.pointsPerSec)} points/s, cycle p50 ${round(main.cycleP50S)} s max ${round(main.cycleMaxS)} s, ${round(main.cpuPct, 2)} % CPU`,
    );

    // The same trend log at an interval shorter than one poll.
    setDelay(sim, WARM_ANSWER_MS);
    const beforePatch = requestsOf(sim);
    const patched = await fetch(`${platform.url}/v1/trend-logs/${gw.trendLogId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${platform.seed.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ intervalSeconds: SHORT_INTERVAL_S }),
    });
    if (!patched.ok) throw new Error(`PATCH trend log: HTTP ${patched.status} ${await patched.text()}`);
    await until(
      'the agent to apply the shorter interval',
      () => (gw.log().includes(`"intervalsSeconds":[${SHORT_INTERVAL_S}]`) ? true : undefined),
      30_000,
      gw.log,
    );
    await firstPollsDone(sim, beforePatch, 13, gw.log);
    setDelay(sim, ANSWER_MS);
    ctx.log(`  edgewatch-agent, ${SHORT_INTERVAL_S} s trend log (shorter than a poll):`);
    const s = await measure(ctx, sim, pid, nextMultiple(Date.now() + 1_000, SHORT_INTERVAL_S * 1000), SHORT_WINDOW_S);
    const short = summarize(
      { ...s, ...(await shippedInWindow(platform, gw.gatewayId, s.from, s.to)) },
      SHORT_INTERVAL_S,
    );
    ctx.log(`    ${short.polls} polls of ${short.slots} slots, ${round(short.pointsPerSec)} points/s`);

    const telegraf = onPath('telegraf');
    const bound = boundPerSec(CONTROLLERS);
    const r2 = (n: number) => round(n, 2);
    const rateRatio = main.pointsPerSec / bareRate;
    const cpuRatio = main.cpuMsPer1kPoints / bareCpuMsPer1k;
    const common = (x: ReturnType<typeof summarize>, exactPolls: boolean) =>
      `cycle p50 ${round(x.cycleP50S)} s, max ${round(x.cycleMaxS)} s; ${exactPolls ? `${round(x.requestsPerPoll, 2)} requests/poll; ` : ''}simulator ${r2(x.simRequestsPerSec)} requests/s; CPU ${r2(x.cpuPct)} % (${r2(x.cpuMsPer1kPoints)} ms per 1,000 points)`;
    const rows: Row[] = [
      {
        benchmark: 'gateway',
        system: `edgewatch-agent, ${INTERVAL_S} s trend log`,
        samplesPerSec: round(main.pointsPerSec),
        p50Ms: Math.round(main.cycleP50S * 1000),
        cpuSeconds: r2(main.cpuSeconds),
        peakRssMiB: round(main.peakRssMiB),
        ratio: r2(cpuRatio),
        notes: `${main.points} points in ${main.seconds} s (${main.polls} polls of ${main.slots} slots, a round of all ${CONTROLLERS} over ${round(main.roundS)} s after its boundary); ${common(main, true)}; points/s ${r2(rateRatio)}× the bare loop (the trend log asks ${round(POINTS / INTERVAL_S)}/s), CPU % ${r2(main.cpuPct / bareCpuPct)}×, RSS ${r2(main.peakRssMiB / bare.maxRssMiB)}×; ratio = CPU per point vs bare loop`,
        extra: { ...main, intervalSeconds: INTERVAL_S },
      },
      {
        benchmark: 'gateway',
        system: `edgewatch-agent, ${SHORT_INTERVAL_S} s trend log`,
        samplesPerSec: round(short.pointsPerSec),
        p50Ms: Math.round(short.cycleP50S * 1000),
        cpuSeconds: r2(short.cpuSeconds),
        peakRssMiB: round(short.peakRssMiB),
        notes: `interval shorter than a poll: ${short.polls} polls of ${short.slots} slots asked (${short.pollsPerController.min}–${short.pollsPerController.max} per controller, polls of one controller up to ${round(short.maxGapS)} s apart), the rest skipped, not queued; ${common(short, false)}`,
        extra: { ...short, intervalSeconds: SHORT_INTERVAL_S },
      },
      {
        benchmark: 'gateway',
        system: 'bare modbus-serial loop, back to back',
        samplesPerSec: round(bareRate),
        p50Ms: Math.round(percentile(bare.cycleMs, 50)),
        cpuSeconds: r2(bare.cpuSeconds),
        peakRssMiB: round(bare.maxRssMiB),
        notes: `${bare.points} points in ${round(bareSeconds)} s, ${CONTROLLERS} in parallel; ${r2(bare.requests / (CONTROLLERS * BASELINE_CYCLES))} requests/poll; simulator ${r2(bare.simRequests / bareSeconds)} requests/s; CPU ${r2(bareCpuPct)} % (${r2(bareCpuMsPer1k)} ms per 1,000 points)`,
        extra: { ...bare, cycleMs: undefined, cycleMaxMs: Math.max(...bare.cycleMs) },
      },
      {
        benchmark: 'gateway',
        system: 'theoretical bound',
        samplesPerSec: round(bound),
        notes: `${ALL_POINTS.length} points per ${VALUE_REQUESTS.length} requests × ${ANSWER_MS / 1000} s, one at a time per controller, ${CONTROLLERS} at once (as the agent polls them)`,
      },
      {
        benchmark: 'gateway',
        system: 'Telegraf inputs.modbus',
        notes: telegraf
          ? `skipped: telegraf found at ${telegraf}, but this module does not drive it yet`
          : 'skipped: telegraf not installed (not packaged in Debian here)',
      },
    ];
    return rows;
  },
};
