/**
 * The gateway benchmark's bare baseline, run as its own process so its CPU and memory are its
 * own: modbus-serial reading every point value of each simulated controller in the same
 * coalesced requests as the agent's poller (its planner, so the requests cannot drift), one
 * request at a time per controller, every controller in parallel, back to back, nothing else:
 * no spool, no platform, no schedule. What is left is the irreducible cost of the hardware's
 * answer time.
 *
 * Usage: node bench/gateway-baseline.ts '{"host":"127.0.0.1","ports":[…],"cycles":2}'
 * Prints one JSON line (BaselineResult) and exits.
 */
import ModbusRTU from 'modbus-serial';
import { spansOf } from '../agent/src/gateway/controller-reader.ts';
import { planRequests } from '../agent/src/gateway/request-plan.ts';
import { T3_POINT_COUNTS, T3_POINT_TYPES, pointRegisters, type T3Point } from '../agent/src/gateway/t3-profile.ts';

export interface BaselineInput {
  host: string;
  ports: number[];
  /** Full reads of all 256 values per controller. */
  cycles: number;
}

export interface BaselineResult {
  points: number;
  requests: number;
  elapsedMs: number;
  /** Per controller, each full read's duration. */
  cycleMs: number[];
  /** User + system CPU over the loop only (start-up excluded), and the peak RSS. */
  cpuSeconds: number;
  maxRssMiB: number;
}

export const ALL_POINTS: T3Point[] = T3_POINT_TYPES.flatMap((type) =>
  Array.from({ length: T3_POINT_COUNTS[type] }, (_, i) => ({ type, number: i + 1 })),
);

/** The agent's requests for all 256 values (no flags: those are read every 10 minutes). */
export const VALUE_REQUESTS = planRequests(spansOf({ points: ALL_POINTS, registers: [] }, []));

async function readController(host: string, port: number, cycles: number, durations: number[]) {
  const client = new ModbusRTU();
  await client.connectTCP(host, { port });
  client.setID(1);
  client.setTimeout(10_000);
  let points = 0;
  let requests = 0;
  try {
    for (let c = 0; c < cycles; c++) {
      const t0 = performance.now();
      const image = new Map<number, number>();
      for (const r of VALUE_REQUESTS) {
        const { data } = await client.readHoldingRegisters(r.address, r.count);
        requests++;
        data.forEach((word, i) => image.set(r.address + i, word));
      }
      // Decode like the agent would (int32, high word first), so the loop does the same work per point.
      for (const p of ALL_POINTS) {
        const at = pointRegisters(p).value;
        const value = ((image.get(at)! << 16) | image.get(at + 1)!) / 1000;
        if (Number.isFinite(value)) points++;
      }
      durations.push(performance.now() - t0);
    }
  } finally {
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
  return { points, requests };
}

async function main(input: BaselineInput): Promise<BaselineResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const cycleMs: number[] = [];
  const each = await Promise.all(input.ports.map((port) => readController(input.host, port, input.cycles, cycleMs)));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    points: each.reduce((n, e) => n + e.points, 0),
    requests: each.reduce((n, e) => n + e.requests, 0),
    elapsedMs,
    cycleMs,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (import.meta.filename === process.argv[1]) {
  const result = await main(JSON.parse(process.argv[2] ?? '{}') as BaselineInput);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
