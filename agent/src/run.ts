import { startAgent } from './agent.ts';
import { loadConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { AGENT_VERSION } from './version.ts';

export interface RunOptions {
  /** `--config`; see loadConfig for the fallbacks. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  /** How long to keep shipping after a stop signal. Default 5 000 ms. */
  flushMs?: number;
}

/**
 * `edgewatch-agent run`: loads the config (throws ConfigError when it is bad), starts the
 * agent, and on SIGINT/SIGTERM stops collecting, ships what it can within `flushMs` (the disk
 * spool keeps the rest for the next start), and resolves with exit code 0. A second signal
 * exits at once.
 */
export async function runAgent(options: RunOptions = {}): Promise<number> {
  const { config, path } = await loadConfig({ path: options.configPath, env: options.env });
  const log = createLogger({ level: config.logLevel });
  // Installed before the (possibly slow) start, so a signal during it still stops cleanly.
  const signal = stopSignal(log);
  const starting = startAgent(config, { log, configPollMs: config.configPollSeconds * 1000 });
  const first = await Promise.race([starting, signal]);
  if (typeof first === 'string') {
    // Nothing collected yet, and whatever the start is stuck on (a hung filesystem) would keep
    // the process alive past the service manager's stop timeout.
    log.warn('stop signal before the agent started; exiting', { signal: first });
    process.exit(0);
  }
  const agent = first;
  log.info('agent started', {
    version: AGENT_VERSION,
    pid: process.pid,
    config: path,
    url: config.url,
    deviceId: config.deviceId,
    intervalSeconds: config.intervalSeconds,
    spoolDir: config.spoolDir,
    transport: agent.transport.name,
    collectors: agent.scheduler.collectors().map((c) => `${c.name}:${c.intervalMs / 1000}s`),
  });

  log.info('stopping', { signal: await signal });
  const { flushed, stats } = await agent.stop({ flushMs: options.flushMs ?? 5_000 });
  if (!flushed)
    log.warn('samples not shipped before exit; kept in the spool', { pendingSamples: stats.pendingSamples });
  log.info('agent stopped', { ...stats });
  return 0;
}

function stopSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Keep a handler installed: without one a second Ctrl-C would kill the process mid-flush
      // with the signal's default status; with it, the operator still gets out at once.
      const force = (again: NodeJS.Signals) => {
        log.warn('second signal; exiting without flushing', { signal: again });
        process.exit(1);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
