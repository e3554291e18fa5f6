import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** Repository root, whatever the caller's working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PINNED_WRANGLER = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));

export interface WranglerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one wrangler command; `echo` also streams its output, indented, as it comes. */
export type Wrangler = (args: string[], options?: { echo?: boolean }) => Promise<WranglerResult>;

/**
 * The wrangler the deploy drives: the project's pinned one, run by this Node, or the executable
 * named by `EDGEWATCH_WRANGLER` (tests put a stand-in there that records its arguments). Standard
 * It runs in `cwd`, the folder of the config. Standard
 * input is closed, so wrangler runs non-interactively: it asks no questions (migrations apply
 * without a prompt) and fails instead of opening a browser to log in.
 */
export function wranglerCli(cwd = ROOT, env: NodeJS.ProcessEnv = process.env): Wrangler {
  const override = env.EDGEWATCH_WRANGLER;
  const [command, ...prefix] = override ? [override] : [process.execPath, PINNED_WRANGLER];
  return async (args, options = {}) => {
    const child = spawn(command!, [...prefix, ...args], {
      cwd,
      env: { ...env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const echo = (chunk: string) => {
      if (options.echo) process.stdout.write(chunk.replace(/^(?=.)/gm, '    '));
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), echo(d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), echo(d)));
    const [code] = (await Promise.race([once(child, 'close'), once(child, 'error').then(([err]) => [err])])) as [
      number | null | Error,
    ];
    if (code instanceof Error) {
      return { code: 127, stdout, stderr: `cannot run ${command}: ${code.message}` };
    }
    return { code: code ?? 1, stdout, stderr };
  };
}

/** The JSON value in wrangler's output; anything printed around it (a banner, warnings) is skipped. */
export function parseJsonOutput<T>(output: string): T {
  const start = output.search(/[[{]/);
  const end = Math.max(output.lastIndexOf(']'), output.lastIndexOf('}'));
  if (start < 0 || end < start) throw new Error(`expected JSON from wrangler, got: ${output.trim().slice(0, 300)}`);
  return JSON.parse(output.slice(start, end + 1)) as T;
}
