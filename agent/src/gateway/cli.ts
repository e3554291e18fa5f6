import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GATEWAY_EXAMPLES, GATEWAY_HELP } from './cli-help.ts';
import { parseRegisterShorthand, RegisterSpecError } from './register-spec.ts';
import type { AnswerDelay } from './simulator/modbus-server.ts';
import { parsePoint, T3PointError } from './t3-profile.ts';

const SUBCOMMANDS = ['read', 'simulate', 'discover'] as const;

class GatewayUsageError extends Error {}

/**
 * `edgewatch-agent gateway <read|simulate|discover>`: exit 0 ok, 1 failure, 2 bad usage. The
 * Modbus client and simulator are imported only when a subcommand needs them, so the host
 * agent's commands never load them.
 */
export async function gatewayCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'read':
        return await read(rest);
      case 'simulate':
        return await simulate(rest);
      case 'discover':
        return await (await import('./discovery-cli.ts')).runDiscover(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(GATEWAY_HELP.main);
        return sub === undefined ? 2 : 0;
      default:
        throw new GatewayUsageError(
          `unknown gateway command ${JSON.stringify(sub)} (commands: ${SUBCOMMANDS.join(', ')}). Example: ${GATEWAY_EXAMPLES.read}`,
        );
    }
  } catch (err) {
    if (err instanceof GatewayUsageError || err instanceof RegisterSpecError || err instanceof T3PointError) {
      const known = sub === 'read' || sub === 'simulate';
      process.stderr.write(
        `edgewatch-agent gateway: ${err.message}\nSee: edgewatch-agent gateway ${known ? `${sub} ` : ''}--help\n`,
      );
      return 2;
    }
    throw err;
  }
}

async function read(args: string[]): Promise<number> {
  const { values } = parse('read', args, {
    host: { type: 'string' },
    port: { type: 'string' },
    unit: { type: 'string' },
    points: { type: 'string' },
    raw: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    retries: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help('read');
  const example = GATEWAY_EXAMPLES.read;
  if (!values.host?.trim()) throw new GatewayUsageError(`read needs --host. Example: ${example}`);
  const points = (values.points ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map(parsePoint);
  const registers = (values.raw ?? []).map(parseRegisterShorthand);
  if (points.length === 0 && registers.length === 0) {
    throw new GatewayUsageError(`read needs --points or --raw. Example: ${example}`);
  }
  const names = new Set<string>();
  for (const r of registers) {
    if (names.has(r.name)) throw new GatewayUsageError(`--raw ${r.name} is given twice`);
    names.add(r.name);
  }
  const { readCommand } = await import('./read-command.ts');
  return readCommand({
    host: values.host.trim(),
    port: integer('--port', values.port, 502, 1, 65_535),
    unitId: integer('--unit', values.unit, 1, 0, 255),
    points: dedupe(points),
    registers,
    timeoutMs: Math.round(number('--timeout', values.timeout, 5, 0.1, 60) * 1000),
    retries: integer('--retries', values.retries, 1, 0, 10),
    json: values.json ?? false,
  });
}

async function simulate(args: string[]): Promise<number> {
  const { values } = parse('simulate', args, {
    controllers: { type: 'string' },
    'delay-ms': { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help('simulate');
  const controllers = integer('--controllers', values.controllers, 3, 1, 100);
  const port = values.port === undefined ? undefined : integer('--port', values.port, 0, 1, 65_535 - controllers + 1);
  const { simulateCommand } = await import('./simulate-command.ts');
  return simulateCommand({
    controllers,
    delay: delayOf(values['delay-ms'] ?? '2000-5000'),
    host: values.host?.trim() || '127.0.0.1',
    port,
    json: values.json ?? false,
  });
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse<T extends Options>(command: 'read' | 'simulate', args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    const first = (err as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new GatewayUsageError(`${first}. Example: ${GATEWAY_EXAMPLES[command]}`);
  }
}

function help(command: 'read' | 'simulate'): number {
  process.stdout.write(GATEWAY_HELP[command]);
  return 0;
}

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new GatewayUsageError(`${flag} ${JSON.stringify(text)} must be a number from ${min} to ${max}`);
  }
  return n;
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  const n = number(flag, text, fallback, min, max);
  if (!Number.isInteger(n)) throw new GatewayUsageError(`${flag} ${JSON.stringify(text)} must be a whole number`);
  return n;
}

function delayOf(text: string): AnswerDelay {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const min = Number(m?.[1]);
  const max = m?.[2] === undefined ? min : Number(m[2]);
  if (!m || max < min || max > 600_000) {
    throw new GatewayUsageError(
      `--delay-ms ${JSON.stringify(text)} must be milliseconds, or MIN-MAX (example: --delay-ms 2000-5000)`,
    );
  }
  return min === max ? min : { minMs: min, maxMs: max };
}

function dedupe<T extends { type: string; number: number }>(points: T[]): T[] {
  const seen = new Set<string>();
  return points.filter((p) => !seen.has(`${p.type}${p.number}`) && seen.add(`${p.type}${p.number}`));
}
