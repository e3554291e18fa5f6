#!/usr/bin/env node
/**
 * Entry point of `edgewatch-agent` (and of the bundle built from it): parses the command
 * line, runs one command, and sets the exit status — 0 ok, 1 failure, 2 bad usage,
 * 78 bad configuration (EX_CONFIG, so a service manager can stop restarting).
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { checkCommand } from './check-command.ts';
import { EXAMPLES, HELP } from './cli-help.ts';
import { ConfigError, defaultConfigPath, normalizeUrl } from './config.ts';
import { enroll, EnrollError } from './enroll.ts';
import { noticesCommand } from './notices/command.ts';
import { runAgent } from './run.ts';
import { statusCommand } from './status-command.ts';
import { AGENT_VERSION } from './version.ts';

const COMMANDS = ['enroll', 'run', 'status', 'notices', 'check'] as const;
type Command = (typeof COMMANDS)[number];

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'enroll':
        return await enrollCommand(rest);
      case 'run': {
        const { values } = parse('run', rest, { config: { type: 'string' } });
        return values.help ? help('run') : await runAgent({ configPath: values.config });
      }
      case 'status': {
        const { values } = parse('status', rest, {
          config: { type: 'string' },
          'spool-dir': { type: 'string' },
          json: { type: 'boolean' },
        });
        if (values.help) return help('status');
        return await statusCommand({ configPath: values.config, spoolDir: values['spool-dir'], json: values.json });
      }
      case 'notices': {
        const { values } = parse('notices', rest, {
          config: { type: 'string' },
          'spool-dir': { type: 'string' },
          json: { type: 'boolean' },
          follow: { type: 'boolean', short: 'f' },
          test: { type: 'boolean' },
        });
        if (values.help) return help('notices');
        return await noticesCommand({
          configPath: values.config,
          spoolDir: values['spool-dir'],
          json: values.json,
          follow: values.follow,
          test: values.test,
        });
      }
      case 'check': {
        const { values } = parse('check', rest, { config: { type: 'string' } });
        return values.help ? help('check') : await checkCommand({ configPath: values.config });
      }
      case 'gateway': {
        // Loaded on demand: the Modbus client and simulator stay out of the host agent's start.
        const { gatewayCommand } = await import('./gateway/cli.ts');
        return await gatewayCommand(rest);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP.main);
        return command === undefined ? 2 : 0;
      case '-v':
      case '--version':
        process.stdout.write(`${AGENT_VERSION}\n`);
        return 0;
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(command)} (commands: ${[...COMMANDS, 'gateway'].join(', ')}). Example: edgewatch-agent run`,
        );
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const known = (COMMANDS as readonly string[]).includes(command ?? '');
      process.stderr.write(
        `edgewatch-agent: ${err.message}\nSee: edgewatch-agent ${known ? `${command} ` : ''}--help\n`,
      );
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`edgewatch-agent: ${err.message}\n`);
      return 78;
    }
    if (err instanceof EnrollError) {
      process.stderr.write(`edgewatch-agent: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function enrollCommand(args: string[]): Promise<number> {
  const { values } = parse('enroll', args, {
    url: { type: 'string' },
    token: { type: 'string' },
    name: { type: 'string' },
    config: { type: 'string' },
    'spool-dir': { type: 'string' },
    force: { type: 'boolean' },
  });
  if (values.help) return help('enroll');
  const example = EXAMPLES.enroll;
  if (values.url === undefined || values.token === undefined) {
    throw new UsageError(`enroll needs --url and --token. Example: ${example}`);
  }
  if (!normalizeUrl(values.url)) {
    throw new UsageError(`--url ${JSON.stringify(values.url)} is not an http(s) URL. Example: ${example}`);
  }
  if (values.token.trim() === '') throw new UsageError(`--token is empty. Example: ${example}`);
  if (values['spool-dir']?.trim() === '') {
    throw new UsageError(`--spool-dir is empty. Example: --spool-dir /var/lib/edgewatch`);
  }
  const name = values.name ?? hostname();
  if (name.length < 1 || name.length > 200) {
    throw new UsageError(`--name ${JSON.stringify(name)} must be 1 to 200 characters. Example: --name web-1`);
  }
  const configPath = values.config ?? defaultConfigPath();
  const outcome = await enroll({
    url: values.url,
    token: values.token,
    name,
    configPath,
    spoolDir: values['spool-dir'],
    force: values.force,
  });
  const runHint = values.config ? `edgewatch-agent run --config ${configPath}` : 'edgewatch-agent run';
  if (outcome.status === 'already-enrolled') {
    const state = outcome.spoolDirChanged
      ? `State folder set to ${outcome.spoolDir}.`
      : `State folder: ${outcome.spoolDir}.`;
    process.stdout.write(
      `Already enrolled as device ${outcome.deviceId} with ${normalizeUrl(values.url)} (config ${configPath}); keeping it. ${state}\n` +
        `Pass --force to enroll again. Start the agent with: ${runHint}\n`,
    );
  } else {
    process.stdout.write(
      `Enrolled as device ${outcome.deviceId} (org ${outcome.orgId}). Config written to ${configPath} (mode 0600).\n` +
        `State folder (spool, status file): ${outcome.spoolDir}\n` +
        `Start the agent with: ${runHint}\n`,
    );
  }
  return 0;
}

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parse<T extends Options>(command: Command, args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    // parseArgs explains how to pass a positional starting with '-'; the first sentence is what matters here.
    const first = (err as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new UsageError(`${first}. Example: ${EXAMPLES[command]}`);
  }
}

function help(command: Command): number {
  process.stdout.write(HELP[command]);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
