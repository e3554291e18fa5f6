/**
 * `npm run bench`: runs each benchmark module, then prints one table and writes the rows,
 * with the machine they ran on, to bench/results/ (gitignored). Every process a module starts
 * is stopped however the run ends, including Ctrl-C.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { alertsBench } from '../bench/alerts.ts';
import { capacityBench } from '../bench/capacity.ts';
import { Cleanup } from '../bench/cleanup.ts';
import { dashboardBench } from '../bench/dashboard.ts';
import { exportBench } from '../bench/export.ts';
import { fanoutBench } from '../bench/fanout.ts';
import { footprintBench } from '../bench/footprint.ts';
import { computeGoals, formatGoals } from '../bench/goals.ts';
import { gatewayBench } from '../bench/gateway.ts';
import { ingestBench } from '../bench/ingest.ts';
import { loadBench } from '../bench/soak.ts';
import { queryBench } from '../bench/query.ts';
import { storageBench } from '../bench/storage.ts';
import { formatTable } from '../bench/table.ts';
import type { BenchModule, Row } from '../bench/types.ts';
import { ROOT } from './local/wrangler.ts';

const MODULES: BenchModule[] = [
  ingestBench,
  footprintBench,
  fanoutBench,
  queryBench,
  storageBench,
  exportBench,
  dashboardBench,
  alertsBench,
  gatewayBench,
  capacityBench,
  loadBench,
];

const only = process.argv[2];
const cleanup = new Cleanup();
cleanup.onSignals();
const ctx = { defer: (fn: () => Promise<void> | void) => cleanup.defer(fn), log: (m: string) => console.log(m) };

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAvg1mBefore: Math.round(loadavg()[0]! * 100) / 100,
};
console.log(
  `edgewatch bench: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}`,
);

// Everything shares the same cores: a busy machine skews every figure, so say so up front.
if (machine.loadAvg1mBefore > machine.cpus / 4) {
  console.log(`warning: 1-min load average is ${machine.loadAvg1mBefore}; other work will skew the figures`);
}

const rows: Row[] = [];
const started = new Date();
let failed = false;
for (const mod of MODULES.filter((m) => !only || m.name === only)) {
  console.log(`\n[${mod.name}]`);
  const t0 = performance.now();
  try {
    rows.push(...(await mod.run(ctx)));
  } catch (err) {
    if (cleanup.interrupted) break;
    failed = true;
    console.error(`  ${mod.name} failed: ${(err as Error).stack ?? err}`);
    rows.push({ benchmark: mod.name, system: '-', notes: `failed: ${(err as Error).message}` });
  } finally {
    // Each module's processes are gone before the next one measures anything.
    await cleanup.run();
  }
  console.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

console.log(`\n${formatTable(rows)}\n`);
// Issue 14's goals, from this run's rows only: a benchmark that did not run is "not measured".
const goals = computeGoals(rows);
console.log(`${formatGoals(goals)}\n`);
const dir = join(ROOT, 'bench/results');
await mkdir(dir, { recursive: true });
// Results are per machine and per run: the folder ignores itself, whatever the root .gitignore says.
await writeFile(join(dir, '.gitignore'), '*\n');
const file = join(dir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(
  file,
  `${JSON.stringify({ date: started.toISOString(), machine: { ...machine, loadAvg1mAfter: loadavg()[0] }, rows, goals }, null, 2)}\n`,
);
console.log(`results: ${file}`);
process.exitCode = failed ? 1 : 0;
