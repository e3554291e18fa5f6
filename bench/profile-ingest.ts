/**
 * CPU profile of the ingest path under the ingest bench's load: starts a fresh local platform
 * with the Worker's V8 inspector on a known port, warms up, then records a sampling profile
 * over the Chrome DevTools Protocol while 4 senders post 1,000-sample batches, and prints the
 * functions with the most self time. The profile is timed by V8's sampler, because in workerd
 * `Date.now()` and `performance.now()` stand still during synchronous work.
 *
 *   node_modules/.bin/node bench/profile-ingest.ts [grouped|flat] [--gzip]
 *
 * PROFILE_SECONDS (default 10) sets the recorded window. The full profile is written to
 * $TMPDIR/edgewatch-ingest-<form>.cpuprofile for Chrome DevTools' Performance panel.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort } from '../scripts/local/free-port.ts';
import { enroll, ingest, startPlatform, type Device } from './edgewatch.ts';
import { runPhase, type SendFn } from './load.ts';
import { MAX_BATCHES_PER_SENDER, SAMPLES_PER_BATCH, makeBatch, spanMs } from './series.ts';
import type { BenchContext } from './types.ts';

const SENDERS = 4;
const DEVICES_PER_SENDER = 3;
const WARMUP_MS = 3000;
const PROFILE_MS = Number(process.env.PROFILE_SECONDS ?? 10) * 1000;
const TOP = 25;
const INTERVAL_US = 100;
/**
 * A sample stands for at most this much time. On a shared machine the sampler thread is
 * sometimes descheduled for tens of ms, and the next sample would take all of that gap to
 * whichever function happened to run then; capping keeps the table a picture of CPU work.
 */
const MAX_SAMPLE_US = 4 * INTERVAL_US;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A minimal CDP client: one request at a time is all the profiler needs. */
async function inspector(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    webSocketDebuggerUrl: string;
    title?: string;
  }[];
  if (targets.length === 0) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 1;
  const pending = new Map<number, (msg: { result?: unknown; error?: { message: string } }) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg);
  });
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, (msg) => {
        pending.delete(id);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result as T);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

/** Self time per function (name and source position), in ms, with the total sampled time. */
export function selfTimes(profile: Profile): { total: number; rows: { name: string; where: string; ms: number }[] } {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, { name: string; where: string; ms: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = Math.min(profile.timeDeltas[i] ?? 0, MAX_SAMPLE_US) / 1000;
    total += dt;
    const f = byNode.get(id)!.callFrame;
    const file = f.url.split('/').slice(-2).join('/');
    const where = f.url ? `${file}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName}@${where}`;
    const row = ms.get(key) ?? { name: f.functionName || '(anonymous)', where, ms: 0 };
    row.ms += dt;
    ms.set(key, row);
  });
  return { total, rows: [...ms.values()].sort((a, b) => b.ms - a.ms) };
}

async function main(): Promise<void> {
  const grouped = !process.argv.includes('flat');
  const gz = process.argv.includes('--gzip');
  const cleanups: (() => Promise<void> | void)[] = [];
  const ctx: BenchContext = { defer: (fn) => cleanups.unshift(fn), log: (m) => console.log(m) };
  try {
    const inspectorPort = await freePort();
    const platform = await startPlatform(ctx, { inspectorPort });
    const devices: Device[] = [];
    for (let d = 0; d < SENDERS * DEVICES_PER_SENDER; d++)
      devices.push(await enroll(platform.url, platform.seed.enrollmentToken, `profile-${d}`));
    const base = Date.now() - spanMs(1) - 3600_000;
    const send: SendFn = (s, i) =>
      ingest(
        platform.url,
        devices[s * DEVICES_PER_SENDER + (i % DEVICES_PER_SENDER)]!,
        `profile-${s}-${i}`,
        makeBatch(base, 0, s, i),
        gz,
        grouped,
      );
    const common = { senders: SENDERS, maxPerSender: MAX_BATCHES_PER_SENDER, samplesPerBatch: SAMPLES_PER_BATCH };
    const warm = await runPhase(send, {
      ...common,
      label: 'warm-up',
      startAt: new Array<number>(SENDERS).fill(0),
      durationMs: WARMUP_MS,
      progress: false,
    });
    const cdp = await inspector(inspectorPort);
    cleanups.unshift(() => cdp.close());
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: INTERVAL_US });
    await cdp.send('Profiler.start');
    const measured = await runPhase(send, {
      ...common,
      label: 'profiled',
      startAt: warm.perSender,
      durationMs: PROFILE_MS,
      progress: false,
    });
    const { profile } = await cdp.send<{ profile: Profile }>('Profiler.stop');
    const out = join(tmpdir(), `edgewatch-ingest-${grouped ? 'grouped' : 'flat'}.cpuprofile`);
    await writeFile(out, JSON.stringify(profile));

    const { total, rows } = selfTimes(profile);
    const idle = rows.filter((r) => r.name === '(idle)').reduce((a, r) => a + r.ms, 0);
    const busy = total - idle;
    const perBatch = busy / measured.batches;
    const rate = (measured.batches * SAMPLES_PER_BATCH) / measured.seconds;
    console.log(
      `\n${grouped ? 'grouped' : 'flat'} body${gz ? ', gzip' : ''}: ${measured.batches} batches in ${measured.seconds.toFixed(1)} s ` +
        `= ${Math.round(rate).toLocaleString('en-US')} samples/s; Worker isolate busy ${busy.toFixed(0)} ms ` +
        `= ${perBatch.toFixed(2)} ms per 1,000-sample batch (profile: ${out})\n`,
    );
    console.log('| # | self ms/batch | share | function | where |\n| --- | --- | --- | --- | --- |');
    rows
      .filter((r) => r.name !== '(idle)')
      .slice(0, TOP)
      .forEach((r, i) =>
        console.log(
          `| ${i + 1} | ${(r.ms / measured.batches).toFixed(3)} | ${((100 * r.ms) / busy).toFixed(1)}% | ${r.name} | ${r.where} |`,
        ),
      );
  } finally {
    for (const fn of cleanups) await fn();
  }
}

await main();
