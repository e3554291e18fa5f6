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
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../scripts/local/free-port.ts';
import { ROOT } from '../scripts/local/wrangler.ts';
import { timeGets } from './timing.ts';
import type { BenchContext, Row } from './types.ts';

/** A body to time, named after the read it answered. */
export interface FloorBody {
  name: string;
  text: string;
}

const WORKER = (bodies: FloorBody[]) => `
const BODIES = new Map(${JSON.stringify(bodies.map((b, i) => [`/${i}`, b.text]))});
export default {
  fetch(request) {
    const body = BODIES.get(new URL(request.url).pathname);
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

async function waitUp(url: string, child: ChildProcess, what: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status === 404) return;
    } catch {
      /* not listening yet */
    }
  }
  throw new Error(`${what} did not answer within 60 s`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

/** Starts `argv` in its own process group, times each body, and stops it. */
async function timeServer(
  ctx: BenchContext,
  argv: string[],
  cwd: string,
  port: number,
  bodies: FloorBody[],
  runs: number,
  what: string,
): Promise<Map<string, { p50Ms: number; p99Ms: number }>> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    stdio: 'ignore',
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  ctx.defer(() => stop(child));
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitUp(`${url}/`, child, what);
    const out = new Map<string, { p50Ms: number; p99Ms: number }>();
    for (const [i, b] of bodies.entries()) {
      const t = await timeGets({ url }, `/${i}`, runs);
      if (t.text !== b.text) throw new Error(`${what} (${b.name}): the body came back changed`);
      out.set(b.name, t);
    }
    return out;
  } finally {
    await stop(child);
  }
}

/** One row per body and server: the latency of a Worker that does nothing but answer. */
export async function devServerFloor(ctx: BenchContext, bodies: FloorBody[], runs: number): Promise<Row[]> {
  ctx.log('  timing a Worker that only returns the same bodies (wrangler dev, workerd alone)…');
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-floor-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'index.js'), WORKER(bodies));
  await writeFile(join(dir, 'wrangler.toml'), 'name = "floor"\nmain = "index.js"\ncompatibility_date = "2026-10-01"\n');
  const devPort = await freePort();
  const dev = await timeServer(
    ctx,
    [
      process.execPath,
      join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(devPort),
      '--show-interactive-dev-session=false',
    ],
    dir,
    devPort,
    bodies,
    runs,
    'wrangler dev',
  );
  const rows: Row[] = [];
  const row = (b: FloorBody, server: string, t: { p50Ms: number; p99Ms: number }, note: string): Row => ({
    benchmark: 'query',
    system: `${server}: a Worker that only returns it (${b.name})`,
    p50Ms: Math.round(t.p50Ms * 10) / 10,
    p99Ms: Math.round(t.p99Ms * 10) / 10,
    notes: `${b.text.length.toLocaleString('en')} bytes, Edgewatch's answer served as a constant; ${note}`,
  });
  for (const b of bodies)
    rows.push(row(b, 'wrangler dev', dev.get(b.name)!, 'what the local server costs before any Edgewatch code runs'));

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
  compatibilityDate = "2026-10-01",
);
`,
  );
  const alone = await timeServer(ctx, [bin, 'serve', 'floor.capnp'], dir, port, bodies, runs, 'workerd');
  for (const b of bodies)
    rows.push(row(b, 'workerd alone', alone.get(b.name)!, 'the same Worker without wrangler dev in front'));
  return rows;
}
