import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { TestServer } from './http-server.ts';

/** A fresh temp dir per test, and a slot for a test server; both cleaned up after each test. */
export function cliSandbox(): { dir: string; server: TestServer | undefined } {
  const sb: { dir: string; server: TestServer | undefined } = { dir: '', server: undefined };
  beforeEach(async () => {
    sb.dir = await mkdtemp(join(tmpdir(), 'edgewatch-cli-'));
  });
  afterEach(async () => {
    await sb.server?.close();
    sb.server = undefined;
    await rm(sb.dir, { recursive: true, force: true });
  });
  return sb;
}
