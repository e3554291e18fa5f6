/**
 * Builds the deployable artefacts with esbuild:
 *   node scripts/build.ts [agent|dashboard|all]   (default: all)
 * agent      agent/src/cli.ts → agent/dist/edgewatch-agent.js (ESM for Node ≥ 20) and the chunks it
 *            loads on demand, in agent/dist/chunks/
 * dashboard  workers/dashboard/src → workers/dashboard/dist (app.js, app.css, index.html; the API
 *            reference docs.js, docs.html, docs.css, served at /docs)
 * Both targets then publish the agent bundle into the dashboard's assets (see publish-agent.ts).
 */
import { createHash } from 'node:crypto';
import { build, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { publishAgent } from './publish-agent.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// systeminformation is CommonJS and calls require('os') etc.; esbuild's ESM output has no
// `require`, so the bundle defines one.
const REQUIRE_SHIM = [
  "import { createRequire as __edgewatchCreateRequire } from 'node:module';",
  'const require = __edgewatchCreateRequire(import.meta.url);',
].join('\n');

/**
 * modbus-serial loads `serialport` (native bindings, parsers) for serial lines, inside try/catch.
 * The gateway speaks Modbus TCP only, so the bundle gets an empty module in its place: about
 * 100 KiB less, and no native code loaded.
 */
const noSerialPort: Plugin = {
  name: 'no-serialport',
  setup(b) {
    b.onResolve({ filter: /^serialport$/ }, () => ({ path: 'serialport', namespace: 'no-serialport' }));
    b.onLoad({ filter: /.*/, namespace: 'no-serialport' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Where the lazily loaded parts of the agent go, beside its main file. */
export const AGENT_CHUNKS_DIR = 'chunks';

/**
 * The lines of the agent's main file that name each chunk it may load, with its sha256
 * (`//# edgewatch-chunk <sha256> chunks/<name>.mjs`). install.sh verifies the main file against
 * the sha256 built into it, then downloads and verifies each chunk these lines name.
 */
export const CHUNK_LINE = /^\/\/# edgewatch-chunk ([0-9a-f]{64}) (chunks\/[A-Za-z0-9._-]+\.mjs)$/gm;

/**
 * Bundles the agent for the system Node 20: an executable main file (`outfile`) and, in
 * `chunks/` beside it, the code it imports only when needed (the gateway's Modbus and BACnet
 * stack, the MQTT transport, systeminformation off Linux), so that a plain host never even
 * parses them (docs/agent.md, "Footprint"). Returns the main file's path.
 */
export async function buildAgent(options: { outfile?: string } = {}): Promise<string> {
  const outfile = options.outfile ?? join(ROOT, 'agent/dist/edgewatch-agent.js');
  const outdir = dirname(outfile);
  const name = basename(outfile, '.js');
  const result = await build({
    entryPoints: { [name]: join(ROOT, 'agent/src/cli.ts') },
    outdir,
    chunkNames: `${AGENT_CHUNKS_DIR}/[name]-[hash]`,
    // .mjs: an installed copy has no package.json saying "type": "module", and Node would
    // otherwise try each chunk as CommonJS first. The main file keeps its name (see below).
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    write: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: REQUIRE_SHIM },
    // Whitespace and syntax only: names stay, so stack traces from the field remain readable.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [noSerialPort],
  });
  const entry = join(outdir, `${name}.mjs`);
  const chunks = result.outputFiles.filter((f) => f.path !== entry);
  const main = result.outputFiles.find((f) => f.path === entry);
  if (!main) throw new Error(`esbuild wrote no ${outfile}`);
  // Chunks of an older build would otherwise stay beside the new ones.
  await rm(join(outdir, AGENT_CHUNKS_DIR), { recursive: true, force: true });
  await mkdir(join(outdir, AGENT_CHUNKS_DIR), { recursive: true });
  const lines: string[] = [];
  for (const chunk of chunks) {
    await writeFile(chunk.path, chunk.contents);
    const sha256 = createHash('sha256').update(chunk.contents).digest('hex');
    lines.push(`//# edgewatch-chunk ${sha256} ${relative(outdir, chunk.path)}`);
  }
  await writeFile(outfile, `${main.text}${lines.sort().join('\n')}\n`);
  await chmod(outfile, 0o755);
  return outfile;
}

/** The chunks the agent's main file names: paths relative to its folder, and their sha256. */
export function agentChunks(mainText: string): { path: string; sha256: string }[] {
  return [...mainText.matchAll(CHUNK_LINE)].map((m) => ({ sha256: m[1]!, path: m[2]! }));
}

const ASSET_HEADERS = `/*
  Content-Security-Policy: default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'
  X-Content-Type-Options: nosniff
  X-Frame-Options: DENY
  Referrer-Policy: no-referrer
  Strict-Transport-Security: max-age=15552000; includeSubDomains
`;

/**
 * Builds the dashboard into `workers/dashboard/dist/`: `main.tsx` bundled to `app.js`, and every
 * CSS file it imports (app.css, each page's own) bundled to `app.css`; plus `index.html` and
 * uPlot's stylesheet; and, when the source has `docs/`, the API
 * reference: `docs/main.ts` bundled to `docs.js`, with `docs.html` (which the assets serve at
 * `/docs`) and `docs.css`. Fails clearly if the source is missing.
 */
export async function buildDashboard(options: { srcdir?: string; outdir?: string } = {}): Promise<string> {
  const src = options.srcdir ?? join(ROOT, 'workers/dashboard/src');
  const outdir = options.outdir ?? join(ROOT, 'workers/dashboard/dist');
  const required = [join(src, 'main.tsx'), join(src, 'index.html')];
  const missing = required.filter((p) => !existsSync(p)).map((p) => relative(ROOT, p));
  if (missing.length > 0) {
    throw new Error(
      `cannot build the dashboard: ${missing.join(' and ')} not found (the dashboard source lives in ${relative(ROOT, src)})`,
    );
  }
  // Start clean so a renamed or deleted file is not served from a stale build.
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const docs = join(src, 'docs');
  const withDocs = existsSync(join(docs, 'main.ts'));
  await build({
    entryPoints: { app: join(src, 'main.tsx'), ...(withDocs ? { docs: join(docs, 'main.ts') } : {}) },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  // Pages import their CSS from TSX, so esbuild writes one app.css next to app.js: only the
  // HTML and uPlot's stylesheet are copied.
  for (const file of [join(src, 'index.html'), join(ROOT, 'node_modules/uplot/dist/uPlot.min.css')]) {
    await copyFile(file, join(outdir, file.split('/').pop()!));
  }
  if (withDocs) {
    await copyFile(join(docs, 'index.html'), join(outdir, 'docs.html'));
    await copyFile(join(docs, 'docs.css'), join(outdir, 'docs.css'));
  }
  // Static assets bypass the Worker's middleware, so they get their security headers here.
  await writeFile(join(outdir, '_headers'), ASSET_HEADERS);
  return outdir;
}

/** Builds the agent and the dashboard, then publishes the agent into the dashboard's assets. */
export async function buildAll(): Promise<void> {
  await Promise.all([buildAgent(), buildDashboard()]);
  // After both: the dashboard build starts by wiping its output folder.
  await publishAgent();
}

const TARGETS = {
  agent: async () => publishAgent({ bundle: await buildAgent() }),
  // Puts back the published agent the wipe removed, when there is a bundle to publish.
  dashboard: async () => {
    await buildDashboard();
    if (existsSync(join(ROOT, 'agent/dist/edgewatch-agent.js'))) await publishAgent();
  },
  all: buildAll,
} as const;

async function main(target = 'all') {
  if (!(target in TARGETS)) {
    console.error(
      `build: unknown target ${JSON.stringify(target)}; use one of ${Object.keys(TARGETS).join(', ')} (example: node scripts/build.ts agent)`,
    );
    process.exit(2);
  }
  const started = performance.now();
  await TARGETS[target as keyof typeof TARGETS]();
  const agent = join(ROOT, 'agent/dist/edgewatch-agent.js');
  const size =
    target !== 'dashboard' && existsSync(agent)
      ? ` (agent main file ${Math.round((await stat(agent)).size / 1024)} KiB, ${agentChunks(await readFile(agent, 'utf8')).length} chunks)`
      : '';
  console.log(`build: ${target} done in ${Math.round(performance.now() - started)} ms${size}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).catch((err: unknown) => {
    console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
