import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { BenchContext } from './types.ts';

/** The first `name` on PATH (plus the sbin folders Debian daemons live in), if any. */
export function onPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin'];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/**
 * A peer's binary, installing its Debian package when we are root and apt exists.
 * Returns a reason instead when the peer has to be skipped, so the row can say why.
 */
export function findOrInstall(ctx: BenchContext, binary: string, pkg: string): { bin: string } | { skip: string } {
  const found = onPath(binary);
  if (found) return { bin: found };
  if (process.getuid?.() !== 0) return { skip: `${binary} is not installed and we are not root to apt-get it` };
  if (!onPath('apt-get')) return { skip: `${binary} is not installed and apt-get is not available` };
  ctx.log(`  ${binary} is not installed: apt-get install -y ${pkg}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', pkg], { env, stdio: 'ignore' });
  // A stale package index is the usual failure: refresh it once and retry.
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
    install();
  }
  const bin = onPath(binary);
  return bin ? { bin } : { skip: `apt-get install ${pkg} failed` };
}
