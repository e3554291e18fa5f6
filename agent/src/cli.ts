#!/usr/bin/env node
/**
 * Entry point of `edgewatch-agent` (and of the bundle built from it): parses the command
 * line, runs one command, and sets the exit status — 0 ok, 1 failure, 2 bad usage,
 * 78 bad configuration (EX_CONFIG, so a service manager can stop restarting).
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfigPath, normalizeUrl } from './config.ts';
import { enroll, EnrollError } from './enroll.ts';
import { runAgent } from './run.ts';
import { AGENT_VERSION } from './version.ts';

const EXAMPLE_URL = 'https://edgewatch.example.com';

const HELP = {
  main: `Usage: edgewatch-agent <command> [options]

Collects host metrics (CPU, load, memory, disk, network) and ships them to an Edgewatch server.

Commands:
  enroll   Register this host with an enrollment token and write the config file
  run      Collect and ship metrics until stopped

Options:
  -h, --help     Show this help (edgewatch-agent <command> --help for a command)
  -v, --version  Print the agent version

Get started:
  edgewatch-agent enroll --url ${EXAMPLE_URL} --token <enrollment token>
  edgewatch-agent run
`,
  enroll: `Usage: edgewatch-agent enroll --url URL --token TOKEN [--name NAME] [--config PATH] [--force]

Exchanges an enrollment token for this host's device id and device token and writes them to
the config file with mode 0600. If the file already holds a device for the same URL, it is
kept and no token is spent.

Options:
  --url URL      Edgewatch server (required), e.g. ${EXAMPLE_URL}
  --token TOKEN  Enrollment token from the dashboard (required)
  --name NAME    Device name shown in the dashboard (default: ${hostname()})
  --config PATH  Config file to write (default: ${defaultConfigPath()})
  --force        Enroll again even if the config already has a device for this URL
  -h, --help     Show this help

Example:
  edgewatch-agent enroll --url ${EXAMPLE_URL} --token <enrollment token> --name web-1
`,
  run: `Usage: edgewatch-agent run [--config PATH]

Collects host metrics every intervalSeconds (default 10) and ships them over HTTPS.
On SIGINT or SIGTERM it stops collecting, ships what it can within 5 seconds, and exits 0.
Logs are JSON lines on stderr.

Options:
  --config PATH  Config file (default: ${defaultConfigPath()};
                 $EDGEWATCH_CONFIG sets another default)
  -h, --help     Show this help

Environment (overrides the config file):
  EDGEWATCH_URL        server URL, e.g. ${EXAMPLE_URL}
  EDGEWATCH_TOKEN      device token
  EDGEWATCH_INTERVAL   seconds between readings, 1 to 3600
  EDGEWATCH_LOG_LEVEL  debug, info, warn or error
`,
};

const EXAMPLES = {
  enroll: `edgewatch-agent enroll --url ${EXAMPLE_URL} --token <enrollment token>`,
  run: 'edgewatch-agent run --config /etc/edgewatch/agent.json',
};

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'enroll':
        return await enrollCommand(rest);
      case 'run':
        return await runCommand(rest);
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
          `unknown command ${JSON.stringify(command)} (commands: enroll, run). Example: edgewatch-agent run`,
        );
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(
        `edgewatch-agent: ${err.message}\nSee: edgewatch-agent ${command && command in HELP ? `${command} ` : ''}--help\n`,
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
  const name = values.name ?? hostname();
  if (name.length < 1 || name.length > 200) {
    throw new UsageError(`--name ${JSON.stringify(name)} must be 1 to 200 characters. Example: --name web-1`);
  }
  const configPath = values.config ?? defaultConfigPath();
  const outcome = await enroll({ url: values.url, token: values.token, name, configPath, force: values.force });
  const runHint = values.config ? `edgewatch-agent run --config ${configPath}` : 'edgewatch-agent run';
  if (outcome.status === 'already-enrolled') {
    process.stdout.write(
      `Already enrolled as device ${outcome.deviceId} with ${normalizeUrl(values.url)} (config ${configPath}); keeping it.\n` +
        `Pass --force to enroll again. Start the agent with: ${runHint}\n`,
    );
  } else {
    process.stdout.write(
      `Enrolled as device ${outcome.deviceId} (org ${outcome.orgId}). Config written to ${configPath} (mode 0600).\n` +
        `Start the agent with: ${runHint}\n`,
    );
  }
  return 0;
}

async function runCommand(args: string[]): Promise<number> {
  const { values } = parse('run', args, { config: { type: 'string' } });
  if (values.help) return help('run');
  return runAgent({ configPath: values.config });
}

type Options = Record<string, { type: 'string' | 'boolean' }>;

function parse<T extends Options>(command: keyof typeof EXAMPLES, args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    // parseArgs explains how to pass a positional starting with '-'; the first sentence is what matters here.
    const first = (err as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new UsageError(`${first}. Example: ${EXAMPLES[command]}`);
  }
}

function help(command: keyof typeof HELP): number {
  process.stdout.write(HELP[command]);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
