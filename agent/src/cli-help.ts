import { hostname } from 'node:os';
import { defaultConfigPath } from './config.ts';
import { defaultSpoolDir } from './paths.ts';

/** The server URL used in help texts and examples. */
export const EXAMPLE_URL = 'https://edgewatch.example.com';

const STATE_FALLBACK = `$STATE_DIRECTORY, else $XDG_STATE_HOME/edgewatch,
                 else ~/.local/state/edgewatch`;

const ENVIRONMENT = `Environment (overrides the config file; empty means unset):
  EDGEWATCH_CONFIG           config file, when --config is not given
  EDGEWATCH_URL              server URL, e.g. ${EXAMPLE_URL}
  EDGEWATCH_TOKEN            device token
  EDGEWATCH_INTERVAL         base seconds between readings, 1 to 3600 (default 10)
  EDGEWATCH_LOG_LEVEL        debug, info, warn or error (default info)
  EDGEWATCH_SPOOL_DIR        state folder (spool, status file, config cache), instead of
                             the config file's "spoolDir"; relative to the working folder
  EDGEWATCH_SPOOL_MAX_BYTES  spool size bound in bytes (default 67108864, 64 MiB)
  EDGEWATCH_FSYNC            always, batch or never (default batch)
  EDGEWATCH_TRANSPORT        https or mqtt (default https)
  EDGEWATCH_MQTT_PROTOCOL    4 (MQTT 3.1.1) or 5, with transport mqtt
`;

/** `--help` text of each command, and of the program. */
export const HELP = {
  main: `Usage: edgewatch-agent <command> [options]

Collects host metrics (CPU, load, memory, disk and disk I/O, network, temperatures, uptime,
NTP offset, HTTP/TCP probes, watched processes) and ships them to an Edgewatch server.

Commands:
  enroll   Register this host with an enrollment token and write the config file
  run      Collect and ship metrics until stopped
  status   Show whether the agent runs, when it last shipped, and what is queued
  notices  Show the incident notices the platform sent to this host
  check    Validate the config and test the connection to the server
  gateway  Read T3000 and Modbus controllers, or simulate them (gateway --help)

Options:
  -h, --help     Show this help (edgewatch-agent <command> --help for a command)
  -v, --version  Print the agent version

Files:
  config file    --config PATH, else $EDGEWATCH_CONFIG, else
                 ${defaultConfigPath()}
                 (url, device token, settings; written by enroll with mode 0600)
  state folder   "spoolDir" in the config file: the disk spool, status.json (read by
                 status), notices.jsonl (read by notices) and the remote config cache.
                 enroll records it, so run, status, notices and check use the same
                 folder. Not in the file:
                 ${STATE_FALLBACK}

Get started:
  edgewatch-agent enroll --url ${EXAMPLE_URL} --token <enrollment token>
  edgewatch-agent check
  edgewatch-agent run
`,
  enroll: `Usage: edgewatch-agent enroll --url URL --token TOKEN [--name NAME] [--config PATH]
                              [--spool-dir DIR] [--force]

Exchanges an enrollment token for this host's device id and device token and writes them,
with the state folder, to the config file with mode 0600. If the file already holds a device
for the same URL, it is kept and no token is spent (a new --spool-dir is still recorded).

Options:
  --url URL        Edgewatch server (required), e.g. ${EXAMPLE_URL}
  --token TOKEN    Enrollment token from the dashboard (required)
  --name NAME      Device name shown in the dashboard (default: ${hostname()})
  --config PATH    Config file to write (default: ${defaultConfigPath()})
  --spool-dir DIR  State folder to record as "spoolDir" (spool, status file, config
                   cache); relative to the config file's folder. Default: the file's
                   own, else ${defaultSpoolDir()}
  --force          Enroll again even if the config already has a device for this URL
  -h, --help       Show this help

Example:
  edgewatch-agent enroll --url ${EXAMPLE_URL} --token <enrollment token> --name web-1
`,
  run: `Usage: edgewatch-agent run [--config PATH]

Collects host metrics into a disk spool and ships them over HTTPS (or MQTT). Cheap readings
run every intervalSeconds (default 10); NTP, probes, disk usage and temperatures less often.
The server's remote config (intervals, disabled collectors, probes, watched processes, NTP
server) is polled every 60 s and applied without a restart. status.json is rewritten every
5 s in the state folder ("spoolDir" in the config file) for \`edgewatch-agent status\`.
On SIGINT or SIGTERM it stops collecting, ships what it can within 5 seconds, keeps the rest
in the spool for the next start, and exits 0. Logs are JSON lines on stderr.

Options:
  --config PATH  Config file (default: ${defaultConfigPath()};
                 $EDGEWATCH_CONFIG sets another default)
  -h, --help     Show this help

${ENVIRONMENT}`,
  status: `Usage: edgewatch-agent status [--config PATH] [--spool-dir DIR] [--json]

Reads the status file the running agent rewrites every 5 s (status.json in its state
folder, "spoolDir" in the config file) and prints whether it runs, its last successful
ship, the samples queued in the spool, dropped samples, the last error and the remote
config in force, and how many notices of firing incidents are unread (see notices).
A status file of another device than the config's does not count.
Exit status: 0 running, 1 not running (no status file, stopped, or not updated for a while).

Options:
  --config PATH    Config file whose state folder to read ("spoolDir", or
                   $EDGEWATCH_SPOOL_DIR; default file: ${defaultConfigPath()})
  --spool-dir DIR  Read DIR/status.json instead. When neither names a folder:
                   ${defaultSpoolDir()}, then /var/lib/edgewatch
  --json           Print the status as JSON, with "running" and "reason" added
  -h, --help       Show this help

A service's state directory is usually readable only by its user: sudo edgewatch-agent status
`,
  notices: `Usage: edgewatch-agent notices [--follow] [--json] [--test] [--config PATH] [--spool-dir DIR]

Prints the host notices the platform sent to this agent (incidents of this device that fired,
escalated, were acknowledged or resolved, from a notification channel of kind "host"), oldest
first, one line each: time, transition, severity, title, summary and link. They are kept in
notices.jsonl in the state folder ("spoolDir" in the config file; 256 KiB, then one older
notices.jsonl.1). Reading them marks them read: status counts the unread firing ones.
Exit status: 0, also when there are no notices yet; 1 when the log cannot be read.

Options:
  -f, --follow     Keep printing new notices as they arrive, until Ctrl-C (SIGINT or SIGTERM)
  --json           Print each notice as the JSON line stored in the log
  --test           Send a test notice to wall and the journal, as the agent config enables
                   them (exit 1 when one could not be reached); nothing goes to the log
  --config PATH    Config file whose state folder to read (default: ${defaultConfigPath()})
  --spool-dir DIR  Read DIR/notices.jsonl instead. When neither names a folder:
                   ${defaultSpoolDir()}, then /var/lib/edgewatch
  -h, --help       Show this help

Notices also go to logged-in terminals (wall) and the journal when the agent config's
"notices" section enables them. A service's state directory is usually readable only by its
user: sudo edgewatch-agent notices
`,
  check: `Usage: edgewatch-agent check [--config PATH]

Checks, in order, and prints each step with ✓ or ✗ and a hint:
  1. the config file and environment are valid
  2. the state folder ("spoolDir": the spool directory and status file) is writable
  3. the server answers GET /health
  4. the server accepts the device token (GET /v1/agents/config) and its remote config is valid
Exit status: 0 when every step passed, 1 otherwise.

Options:
  --config PATH  Config file (default: ${defaultConfigPath()})
  -h, --help     Show this help

${ENVIRONMENT}`,
};

/** One example per command, quoted in usage errors. */
export const EXAMPLES = {
  enroll: `edgewatch-agent enroll --url ${EXAMPLE_URL} --token <enrollment token>`,
  run: 'edgewatch-agent run --config /etc/edgewatch/agent.json',
  status: 'edgewatch-agent status --json',
  notices: 'edgewatch-agent notices --follow',
  check: 'edgewatch-agent check --config /etc/edgewatch/agent.json',
};
