import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildAgent } from '../scripts/build.ts';
import { freePort } from '../scripts/local/free-port.ts';
import { agentProcesses } from '../test/e2e/agent-process.ts';
import { findOrInstall } from './debian.ts';
import { startPlatform } from './edgewatch.ts';
import { cpuSeconds, peakRssMiB } from './proc-stats.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';
import { stopChild } from './peer-process.ts';

// Overridable for quick trial runs; the documented figures use 120 s at a 10 s interval.
const WINDOW_MS = Number(process.env.BENCH_FOOTPRINT_SECONDS ?? 120) * 1000;
const INTERVAL_S = 10;
// Agents run on the host's Node; on this kind of machine that is Debian's Node 20.
const HOST_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;

interface Measured {
  cpuSeconds: number;
  peakRssMiB: number;
}

function spawnTracked(
  ctx: BenchContext,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-2000)));
  child.once('exit', (code) => {
    if (code && code !== 0) ctx.log(`  ${cmd} exited with ${code}: ${stderr}`);
  });
  ctx.defer(() => stopChild(child, 8000));
  return child;
}

/** Reads the process's totals at the end of the window, while it is still alive. */
function measure(child: ChildProcess): Measured {
  if (child.exitCode !== null) throw new Error(`process ${child.pid} exited before the window ended`);
  return { cpuSeconds: cpuSeconds(child.pid!), peakRssMiB: peakRssMiB(child.pid!) };
}

async function startAgent(ctx: BenchContext, dir: string): Promise<ChildProcess> {
  const platform = await startPlatform(ctx);
  const agents = agentProcesses();
  ctx.defer(() => agents.stopAll());
  const config = join(dir, 'agent.json');
  const options = {
    node: HOST_NODE,
    script: await buildAgent(),
    env: { STATE_DIRECTORY: join(dir, 'state'), EDGEWATCH_INTERVAL: String(INTERVAL_S) },
  };
  await agents.enroll(platform, 'footprint', config, options);
  const agent = agents.spawn(['run', '--config', config], options);
  agent.once('exit', (code) => {
    if (code && code !== 0) ctx.log(`  the agent exited with ${code}: ${agents.log().slice(-2000)}`);
  });
  return agent;
}

/** node_exporter on a free port, scraped every interval as Prometheus would. */
async function startNodeExporter(
  ctx: BenchContext,
  bin: string,
): Promise<{ child: ChildProcess; lines: () => number }> {
  const port = await freePort();
  const child = spawnTracked(ctx, bin, [`--web.listen-address=127.0.0.1:${port}`]);
  const url = `http://127.0.0.1:${port}/metrics`;
  let lastLines = 0;
  const scrape = async () => {
    const text = await (await fetch(url)).text();
    lastLines = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  };
  for (let i = 0; i < 40 && lastLines === 0; i++) await scrape().catch(() => sleep(250));
  const timer = setInterval(() => void scrape().catch(() => {}), INTERVAL_S * 1000);
  ctx.defer(() => clearInterval(timer));
  return { child, lines: () => lastLines };
}

/** Agent CPU seconds and peak RSS over a fixed window, beside node_exporter scraped at the same interval. */
export const footprintBench: BenchModule = {
  name: 'footprint',
  async run(ctx) {
    const dir = await mkdtemp(join(tmpdir(), 'edgewatch-footprint-'));
    ctx.defer(() => rm(dir, { recursive: true, force: true }));
    const agent = await startAgent(ctx, dir);
    const peer = findOrInstall(ctx, 'prometheus-node-exporter', 'prometheus-node-exporter');
    const exporter = 'bin' in peer ? await startNodeExporter(ctx, peer.bin) : undefined;

    ctx.log(`  measuring for ${WINDOW_MS / 1000} s at a ${INTERVAL_S} s interval…`);
    // Start-up (Node boot, first reads) is counted in the totals; the steady state is reported too.
    await sleep(INTERVAL_S * 1000);
    const agentBase = cpuSeconds(agent.pid!);
    const exporterBase = exporter ? cpuSeconds(exporter.child.pid!) : 0;
    for (let t = INTERVAL_S * 1000; t < WINDOW_MS; t += 30_000) {
      await sleep(Math.min(30_000, WINDOW_MS - t));
      ctx.log(`  ${Math.min(t + 30_000, WINDOW_MS) / 1000} s: agent ${cpuSeconds(agent.pid!).toFixed(2)} CPU s`);
    }
    const a = measure(agent);
    const window = `${WINDOW_MS / 1000} s window, ${INTERVAL_S} s interval`;
    const rows: Row[] = [
      {
        benchmark: 'footprint',
        system: `edgewatch-agent (node ${execFileSync(HOST_NODE, ['-v'], { encoding: 'utf8' }).trim()})`,
        cpuSeconds: a.cpuSeconds,
        peakRssMiB: a.peakRssMiB,
        notes: `${window}; all default collectors; ${(a.cpuSeconds - agentBase).toFixed(2)} CPU s after the first ${INTERVAL_S} s`,
        extra: { steadyCpuSeconds: a.cpuSeconds - agentBase },
      },
    ];
    if (!exporter) {
      rows.push({
        benchmark: 'footprint',
        system: 'node_exporter',
        notes: `skipped: ${(peer as { skip: string }).skip}`,
      });
      return rows;
    }
    const e = measure(exporter.child);
    rows[0]!.ratio = a.cpuSeconds / e.cpuSeconds;
    rows[0]!.notes += `; CPU ${(a.cpuSeconds / e.cpuSeconds).toFixed(2)}x, RSS ${(a.peakRssMiB / e.peakRssMiB).toFixed(2)}x node_exporter`;
    rows.push({
      benchmark: 'footprint',
      system: 'prometheus-node-exporter',
      cpuSeconds: e.cpuSeconds,
      peakRssMiB: e.peakRssMiB,
      notes: `${window}; scraped every ${INTERVAL_S} s (${exporter.lines()} series per scrape); ${(e.cpuSeconds - exporterBase).toFixed(2)} CPU s after the first ${INTERVAL_S} s`,
      extra: { steadyCpuSeconds: e.cpuSeconds - exporterBase },
    });
    return rows;
  },
};
