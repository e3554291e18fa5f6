import { hostname } from 'node:os';
import { createCollectors } from './collectors/index.ts';
import { loadConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { startCollectors } from './scheduler.ts';
import { createShipper } from './shipper.ts';
import { createMemorySpool } from './spool/memory.ts';
import { createHttpsTransport } from './transports/https.ts';
import { AGENT_VERSION } from './version.ts';

export interface RunOptions {
  /** `--config`; see loadConfig for the fallbacks. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  /** How long to keep shipping after a stop signal. Default 5 000 ms. */
  flushMs?: number;
}

/**
 * `edgewatch-agent run`: loads the config (throws ConfigError when it is bad), starts every
 * collector into the spool and the shipper, and on SIGINT/SIGTERM stops collecting, ships
 * what it can within `flushMs`, and resolves with exit code 0. A second signal exits at once.
 */
export async function runAgent(options: RunOptions = {}): Promise<number> {
  const { config, path } = await loadConfig({ path: options.configPath, env: options.env });
  const log = createLogger({ level: config.logLevel });
  const spool = createMemorySpool();
  const transport = createHttpsTransport({
    url: config.url,
    deviceToken: config.deviceToken,
    agent: { version: AGENT_VERSION, hostname: hostname() },
  });
  await transport.connect();
  const shipper = createShipper({ spool, transport, log: log.child({ component: 'shipper' }) });
  const collectors = createCollectors({ intervalMs: config.intervalSeconds * 1000 });

  shipper.start();
  const scheduler = startCollectors({
    collectors,
    log: log.child({ component: 'collectors' }),
    onSamples: async (samples) => {
      await spool.add(samples);
      shipper.notify();
    },
  });
  log.info('agent started', {
    version: AGENT_VERSION,
    pid: process.pid,
    config: path,
    url: config.url,
    deviceId: config.deviceId,
    intervalSeconds: config.intervalSeconds,
    collectors: collectors.map((c) => c.name),
    transport: transport.name,
  });

  const signal = await stopSignal(log);
  log.info('stopping', { signal });
  await scheduler.stop();
  const { flushed } = await shipper.stop({ flushMs: options.flushMs ?? 5_000 });
  await transport.close();
  const stats = spool.stats();
  if (!flushed) log.warn('samples not shipped before exit', { pendingSamples: stats.pendingSamples });
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
