/**
 * `node scripts/bundle-budget.ts [distdir]`: the dashboard's JavaScript on first load, gzipped,
 * against its budget (issue 11: at most 150 KB). First load is every script `index.html` loads
 * plus every chunk those import statically, transitively; chunks behind a dynamic `import()`
 * load later and are not counted. Prints each file and the total; exits 1 over budget.
 * Run it after the build (`npm run check` does).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ROOT } from './local/wrangler.ts';

/** The budget in bytes: 150 KB, counted as 1000 bytes a kilobyte like the figure. */
export const BUDGET_BYTES = 150_000;

/** `<script src="/x.js">` in the page: where first load starts. */
const SCRIPT_SRC = /<script\b[^>]*\bsrc=["']([^"']+)["']/g;
/** Static `import … from "./chunk.js"` and `import "./chunk.js"`; `import(` is dynamic and excluded. */
const STATIC_IMPORT = /\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+\.js)["']/g;
/** `export … from "./chunk.js"` also loads the chunk eagerly. */
const RE_EXPORT = /\bexport\s*[\w$*{}\s,]*?\s*from\s*["']([^"']+\.js)["']/g;

export interface BundleFile {
  path: string;
  bytes: number;
  gzipBytes: number;
}

/** Resolves a script or import specifier against the file that names it, inside `dist`. */
function resolveAsset(from: string, spec: string): string {
  if (spec.startsWith('/')) return spec.slice(1);
  return posix.normalize(posix.join(posix.dirname(from), spec));
}

/** Every JavaScript file loaded on first load of `index.html` in `dist`, with its sizes. */
export async function firstLoadFiles(dist: string): Promise<BundleFile[]> {
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const queue = [...html.matchAll(SCRIPT_SRC)].map((m) => resolveAsset('index.html', m[1]!));
  const seen = new Set<string>();
  const files: BundleFile[] = [];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const file = join(dist, next);
    if (!existsSync(file)) throw new Error(`${next} is loaded on first load but missing from ${dist}`);
    const code = await readFile(file);
    files.push({ path: next, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length });
    const text = code.toString('utf8');
    for (const m of [...text.matchAll(STATIC_IMPORT), ...text.matchAll(RE_EXPORT)]) {
      if (m[1]!.startsWith('.') || m[1]!.startsWith('/')) queue.push(resolveAsset(next, m[1]!));
    }
  }
  return files;
}

const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

async function main(dist = join(ROOT, 'workers/dashboard/dist')): Promise<void> {
  if (!existsSync(join(dist, 'index.html'))) {
    console.error(`bundle-budget: ${relative(ROOT, dist)}/index.html not found; build first (node scripts/build.ts)`);
    process.exit(2);
  }
  const files = await firstLoadFiles(dist);
  const total = files.reduce((sum, f) => sum + f.gzipBytes, 0);
  for (const f of files) console.log(`bundle-budget: ${f.path} ${kb(f.bytes)} (${kb(f.gzipBytes)} gzipped)`);
  const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER';
  console.log(
    `bundle-budget: first-load JavaScript ${kb(total)} gzipped, ${verdict} the budget of ${kb(BUDGET_BYTES)}`,
  );
  if (total > BUDGET_BYTES) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).catch((err: unknown) => {
    console.error(`bundle-budget: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
