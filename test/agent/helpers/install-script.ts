import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/**
 * A PATH whose `node` is the system's (Node 20 on this project's machines), not the Node 22
 * that npm scripts put first: the installed agent has to work on what the host has.
 */
export const SYSTEM_PATH = existsSync('/usr/bin/node') ? '/usr/bin:/bin' : `${dirname(process.execPath)}:/usr/bin:/bin`;

/** The `node` binary SYSTEM_PATH resolves to. */
export const SYSTEM_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an install script the way the one-liner does (`… | sh -s -- ARGS`: the script on stdin)
 * with a minimal environment, so nothing from the test runner's leaks in.
 */
export async function runInstallScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  const child = spawn('/bin/sh', ['-s', '--', ...args], {
    env: { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? '/nonexistent', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d));
  child.stdin.end(script);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, ...out };
}

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Every entry under `dir`: mode, mtime and, for files, a content hash. For "changed nothing" checks. */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const name of await readdir(d)) {
      const p = join(d, name);
      const s = await lstat(p);
      const hash = s.isFile() ? sha256(await readFile(p)) : s.isDirectory() ? 'dir' : 'other';
      entries[relative(dir, p)] = `${(s.mode & 0o7777).toString(8)} ${s.mtimeMs} ${hash}`;
      if (s.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return entries;
}
