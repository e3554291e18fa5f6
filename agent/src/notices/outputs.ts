import { spawn } from 'node:child_process';
import type { HostNotice, NoticeOutputs } from '../../../schema/wire/notices.ts';
import type { Logger } from '../log.ts';
import { journalLine, journalPriority, wallText } from './text.ts';

/** How a program run ended; `missing` when it is not on PATH. */
export type RunOutcome = { kind: 'ok' } | { kind: 'missing' } | { kind: 'failed'; reason: string };

/**
 * Runs `command` (looked up on `env.PATH`) with `input` on stdin. Never throws; killed after
 * `timeoutMs`, so a terminal that does not take its writes cannot hold a delivery.
 */
export function runWithInput(
  command: string,
  args: string[],
  input: string,
  options: { env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(command, args, {
      env: options.env,
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed', reason: err.message }),
    );
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 500) stderr += d.toString();
    });
    // A program that exits without reading its input: its exit status says what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ kind: 'ok' });
      const why =
        signal === 'SIGKILL'
          ? `no exit within ${options.timeoutMs} ms`
          : signal
            ? `killed by ${signal}`
            : `exit ${code}`;
      resolve({ kind: 'failed', reason: `${why}${stderr.trim() ? `: ${stderr.trim().slice(0, 300)}` : ''}` });
    });
  });
}

/**
 * Notices older than this are logged but not broadcast: an agent started after a long outage,
 * or on its first start, would otherwise fill every terminal with incidents long settled.
 */
export const WALL_FRESH_MS = 60 * 60_000;

/** The programs notices are shown with. */
export type NoticeOutput = 'wall' | 'systemd-cat';

/** How long `wall` or `systemd-cat` may run: a terminal that takes no writes cannot hold a delivery. */
export const OUTPUT_TIMEOUT_MS = 5_000;

/**
 * Shows notices as `enabled` says and answers how each program run ended: `wall` once for all
 * the fresh ones (each `wall` is a banner on every terminal), `systemd-cat` once per notice.
 */
export async function runOutputs(
  notices: HostNotice[],
  enabled: NoticeOutputs,
  run: { env: NodeJS.ProcessEnv; timeoutMs: number },
  now = Date.now(),
): Promise<[NoticeOutput, RunOutcome][]> {
  const outcomes: [NoticeOutput, RunOutcome][] = [];
  const fresh = notices.filter((n) => now - n.at < WALL_FRESH_MS);
  if (enabled.wall && fresh.length > 0) {
    outcomes.push(['wall', await runWithInput('wall', [], fresh.map(wallText).join('\n\n') + '\n', run)]);
  }
  if (enabled.journal) {
    for (const n of notices) {
      // systemd-cat rather than logger: the setting promises the journal, and systemd-cat writes
      // to journald's own stream with the identifier and priority, where logger goes through
      // the syslog socket (a syslog file, or nothing, on hosts whose syslog is not the journal).
      const args = ['-t', 'edgewatch-agent', '-p', journalPriority(n)];
      outcomes.push(['systemd-cat', await runWithInput('systemd-cat', args, journalLine(n) + '\n', run)]);
    }
  }
  return outcomes;
}

export interface NoticeOutputRunner {
  /** Shows delivered notices where `enabled` says; resolves when every program has ended. */
  show(notices: HostNotice[], enabled: NoticeOutputs): Promise<void>;
}

/** Runs `wall` and `systemd-cat` for delivered notices, logging a missing or failing program once a streak. */
export function createNoticeOutputs(options: {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}): NoticeOutputRunner {
  const { log } = options;
  const run = { env: options.env ?? process.env, timeoutMs: options.timeoutMs ?? OUTPUT_TIMEOUT_MS };
  // Outputs that failed last time: each streak is logged once, at its start and its end.
  const trouble = new Set<NoticeOutput>();

  const report = (output: NoticeOutput, outcome: RunOutcome) => {
    if (outcome.kind === 'ok') {
      if (trouble.delete(output)) log.info(`notices reach ${output} again`);
      return;
    }
    const reason = outcome.kind === 'missing' ? 'not found on PATH' : outcome.reason;
    if (trouble.has(output)) return log.debug(`${output} still not usable`, { reason });
    trouble.add(output);
    if (outcome.kind === 'missing') log.info(`${output} not found on PATH; notices are only logged`);
    else log.warn(`${output} failed; the notice is in the log`, { reason });
  };

  return {
    async show(notices, enabled) {
      const old = notices.filter((n) => Date.now() - n.at >= WALL_FRESH_MS);
      if (enabled.wall && old.length > 0) log.debug('old notices not broadcast', { ids: old.map((n) => n.id) });
      for (const [output, outcome] of await runOutputs(notices, enabled, run)) report(output, outcome);
    },
  };
}
