import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Runs a Node script (a `scripts/*.ts` entry point) with the Node running the tests, `env` over
 * this process's environment, and resolves with its exit code and output once its streams closed.
 */
export async function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}
