import { readdirSync, readFileSync } from 'node:fs';

/**
 * Reads a file of /proc (or a listing of /sys) at once. The kernel generates these in memory,
 * so a synchronous read takes microseconds, while fs/promises' readFile makes four thread-pool
 * round trips (open, fstat, read, close) per file, every interval: measured as a good part of
 * the agent's steady CPU (docs/agent.md, "Footprint"). Never for files that may sit on a slow
 * device or network filesystem. Errors reject, as an async read's would.
 */
export async function readProcFile(path: string): Promise<string> {
  return readFileSync(path, 'utf8');
}

/** A directory of /proc or /sys, read at once; see {@link readProcFile}. */
export async function readProcDir(path: string): Promise<string[]> {
  return readdirSync(path);
}
