/**
 * What the local server costs any Worker, measured beside Edgewatch's reads: a Worker that only
 * returns a fixed body (Edgewatch's own answer, byte for byte) is timed under `wrangler dev`,
 * which `npm start` and every bench run, and under workerd alone.
 *
 * The two differ because `wrangler dev` puts a second workerd process in front of the Worker: a
 * proxy that holds requests while the Worker reloads, forwarding each over loopback HTTP through
 * one Durable Object. A deployed Worker has no such proxy. The rows say how much of an
 * Edgewatch latency is that proxy's before any Edgewatch code runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/local/free-port.ts';
import { ROOT, startWorker } from '../scripts/local/wrangler.ts';
import { startPeerProcess, waitReady } from './peer-process.ts';
import { timeGets, type Timed } from './timing.ts';
import type { BenchContext, Row } from './types.ts';

/** A body to time, named after the read it answered. */
export interface FloorBody {
  name: string;
  text: string;
}

const COMPATIBILITY_DATE = '2026-10-01';

/** Answers `/<i>` with the i-th body and `/health` with 200 (what startWorker waits for). */
const WORKER = (bodies: FloorBody[]) => `
const BODIES = new Map(${JSON.stringify(bodies.map((b, i) => [`/${i}`, b.text]))});
export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/health') return new Response('ok');
    const body = BODIES.get(path);
    return body === undefined
      ? new Response('not found', { status: 404 })
      : new Response(body, { headers: { 'content-type': 'application/json' } });
  },
};
`;

/** The workerd binary wrangler runs (a dependency of wrangler), or undefined when not found. */
function workerdBinary(): string | undefined {
  try {
    const req = createRequire(join(ROOT, 'node_modules/wrangler/package.json'));
    return (req('workerd') as { default: string }).default;
  } catch {
    return undefined;
  }
}

async function timeBodies(url: string, bodies: FloorBody[], runs: number, what: string): Promise<Timed[]> {
  const out: Timed[] = [];
  for (const [i, b] of bodies.entries()) {
    const t = await timeGets({ url }, `/${i}`, runs);
    if (t.text !== b.text) throw new Error(`${what} (${b.name}): the body came back changed`);
    out.push(t);
  }
  return out;
}

/** One row per body and server: the latency of a Worker that does nothing but answer. */
export async function devServerFloor(ctx: BenchContext, bodies: FloorBody[], runs: number): Promise<Row[]> {
  ctx.log('  timing a Worker that only returns the same bodies (wrangler dev, workerd alone)…');
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-floor-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'index.js'), WORKER(bodies));
  await writeFile(
    join(dir, 'wrangler.toml'),
    `name = "floor"\nmain = "index.js"\ncompatibility_date = "${COMPATIBILITY_DATE}"\n`,
  );
  const row = (b: FloorBody, server: string, t: Timed, note: string): Row => ({
    benchmark: 'query',
    system: `${server}: a Worker that only returns it (${b.name})`,
    p50Ms: Math.round(t.p50Ms * 10) / 10,
    p99Ms: Math.round(t.p99Ms * 10) / 10,
    notes: `${b.text.length.toLocaleString('en')} bytes, Edgewatch's answer served as a constant; ${note}`,
  });

  const dev = await startWorker({
    port: await freePort(),
    persistTo: join(dir, 'state'),
    logFile: join(dir, 'wrangler.log'),
    config: join(dir, 'wrangler.toml'),
  });
  ctx.defer(dev.stop);
  const viaDev = await timeBodies(dev.url, bodies, runs, 'wrangler dev').finally(dev.stop);
  const rows = bodies.map((b, i) =>
    row(b, 'wrangler dev', viaDev[i]!, 'what the local server costs before any Edgewatch code runs'),
  );

  const bin = workerdBinary();
  if (!bin) {
    rows.push({ benchmark: 'query', system: 'workerd alone', notes: 'the workerd binary was not found: not measured' });
    return rows;
  }
  const port = await freePort();
  await writeFile(
    join(dir, 'floor.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`,
  );
  const log = join(dir, 'workerd.log');
  const workerd = startPeerProcess(ctx, bin, ['serve', join(dir, 'floor.capnp')], { log, dir });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(workerd, 'workerd', log, async () => (await fetch(`${url}/health`)).ok);
  const alone = await timeBodies(url, bodies, runs, 'workerd').finally(workerd.stop);
  rows.push(
    ...bodies.map((b, i) => row(b, 'workerd alone', alone[i]!, 'the same Worker without wrangler dev in front')),
  );
  return rows;
}
