import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { TestServer } from './http-server.ts';

/** Per-test resources that {@link cliSandbox} cleans up. */
export interface Sandbox {
  dir: string;
  server: TestServer | undefined;
  /** Child processes to kill after the test if they still run (a failed test never sends SIGTERM). */
  children: ChildProcess[];
}

/** A fresh temp dir per test, and slots for a test server and children; all cleaned up after each test. */
export function cliSandbox(): Sandbox {
  const sb: Sandbox = { dir: '', server: undefined, children: [] };
  beforeEach(async () => {
    sb.dir = await mkdtemp(join(tmpdir(), 'edgewatch-cli-'));
  });
  afterEach(async () => {
    for (const child of sb.children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await sb.server?.close();
    sb.server = undefined;
    await rm(sb.dir, { recursive: true, force: true });
  });
  return sb;
}
