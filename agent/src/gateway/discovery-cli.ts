import { parseArgs } from 'node:util';
import { createLogger } from '../log.ts';
import { discover, DISCOVERY_PORT, type DiscoveredController, type DiscoveryTarget } from './discovery.ts';

/** `--help` text of `edgewatch-agent gateway discover`. */
export const DISCOVER_HELP = `Usage: edgewatch-agent gateway discover [--target host[:port]]... [--broadcast addr]... [--timeout s] [--json]

Finds T3000 controllers with Temco's discovery query (UDP ${DISCOVERY_PORT}) and lists them.
Without --target the query is broadcast on every IPv4 interface.

Options:
  --target host[:port]  ask this address (routed networks); repeatable; port default ${DISCOVERY_PORT}
  --broadcast addr      broadcast to this address too (e.g. 10.1.255.255); repeatable
  --timeout s           seconds to wait for replies (default 3; slow controllers answer late)
  --json                print a JSON array instead of a table
  --verbose             log skipped replies (malformed, bootloader, duplicates) on stderr
  -h, --help            this help

Exit status: 0 controllers found, 1 none answered, 2 bad usage.
Example: edgewatch-agent gateway discover --target 10.20.0.15 --timeout 5
`;

/** Where the command writes; the process's streams unless a test passes its own. */
export interface DiscoverIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

class UsageError extends Error {}

/**
 * `edgewatch-agent gateway discover …`: `args` are the words after `discover`. Returns the exit
 * status (0 found, 1 none, 2 bad usage) and never exits the process itself.
 */
export async function runDiscover(args: string[], io: DiscoverIo = {}): Promise<number> {
  const out = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = io.stderr ?? ((t: string) => void process.stderr.write(t));
  let opts: ReturnType<typeof parseDiscoverArgs>;
  try {
    opts = parseDiscoverArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof TypeError)) throw e;
    // parseArgs throws TypeError (ERR_PARSE_ARGS_*) for unknown options and missing values.
    err(`edgewatch-agent: ${e.message}\nSee: edgewatch-agent gateway discover --help\n`);
    return 2;
  }
  if (opts.help) {
    out(DISCOVER_HELP);
    return 0;
  }
  const log = createLogger({ level: opts.verbose ? 'debug' : 'warn', write: err, base: { component: 'discovery' } });
  const controllers = await discover({
    targets: opts.targets,
    broadcast: opts.targets.length === 0 ? true : opts.broadcast.length > 0 ? opts.broadcast : false,
    timeoutMs: opts.timeoutS * 1000,
    log,
  });
  controllers.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.serial - b.serial);
  if (opts.json) out(JSON.stringify(controllers, null, 2) + '\n');
  else if (controllers.length > 0) out(formatTable(controllers));
  if (controllers.length === 0) {
    err(`edgewatch-agent: no controller answered within ${opts.timeoutS} s\n`);
    return 1;
  }
  return 0;
}

function parseDiscoverArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      target: { type: 'string', multiple: true },
      broadcast: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const timeoutS = values.timeout === undefined ? 3 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 60) {
    throw new UsageError(`--timeout must be seconds between 0 and 60, got ${JSON.stringify(values.timeout)}`);
  }
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    timeoutS,
    targets: (values.target ?? []).map(parseTarget),
    broadcast: values.broadcast ?? [],
  };
}

/** `host` or `host:port` (IPv4 or a name: discovery is IPv4 only). */
export function parseTarget(text: string): DiscoveryTarget {
  const m = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[2] === undefined ? DISCOVERY_PORT : Number(m[2]);
  if (!m || port < 1 || port > 65_535) {
    throw new UsageError(
      `--target must be host or host:port, e.g. 10.20.0.15:${DISCOVERY_PORT}; got ${JSON.stringify(text)}`,
    );
  }
  return { host: m[1]!, port };
}

const COLUMNS: [string, (c: DiscoveredController) => string][] = [
  ['SERIAL', (c) => String(c.serial)],
  ['PRODUCT', (c) => String(c.productId)],
  ['IP', (c) => c.ip],
  ['PORT', (c) => String(c.port)],
  ['MODBUS', (c) => String(c.modbusId)],
  ['PARENT', (c) => (c.parentSerial === null ? '-' : String(c.parentSerial))],
  ['PANEL', (c) => String(c.panelNumber)],
  ['NAME', (c) => c.panelName ?? '-'],
  ['BACNET', (c) => (c.bacnetInstance === null ? '-' : String(c.bacnetInstance))],
  ['BACNET-PORT', (c) => (c.bacnetPort === null ? '-' : String(c.bacnetPort))],
  ['FIRMWARE', (c) => String(c.firmware)],
];

function formatTable(controllers: DiscoveredController[]): string {
  const rows = [COLUMNS.map(([h]) => h), ...controllers.map((c) => COLUMNS.map(([, f]) => f(c)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
