/**
 * `npm run smoke -- <url>`: a short end-to-end check of a running deployment, local or on
 * Cloudflare. Each check prints pass or fail with its time; the exit code is 1 if any failed.
 */
import { parseArgs } from 'node:util';
import { api } from './smoke/api.ts';
import {
  cleanup,
  credential,
  enroll,
  enrollmentToken,
  health,
  history,
  ingest,
  latest,
  type Check,
  type SmokeContext,
} from './smoke/checks.ts';
import { liveStream } from './smoke/stream.ts';
import { webhookTest } from './smoke/webhook.ts';

const USAGE = `Usage: npm run smoke -- <url> [--key <admin API key>] [--webhook-url <url>] [--timeout <seconds>]

Checks a running Edgewatch end to end, e.g. after every deploy:
  health            GET /health/deep: D1, a Durable Object and the alerts queue answer
  credential        the key works and has the admin scope
  enrollment token  creates one (one use, 1 h)
  enroll            enrolls a test device with it
  ingest            POST /v1/ingest with the device token
  latest, history   reads the sample back
  live stream       opens the WebSocket stream, ingests again, sees the sample arrive
  webhook           with --webhook-url: a channel to that receiver and its signed test event, delivered
Then it deletes the webhook and the test device (its data with it) and revokes the token.

Options:
  <url>              The deployment, e.g. https://edgewatch.example.com or http://localhost:8787
  --key <key>        An API key with the admin scope (ewk_…); default: EDGEWATCH_API_KEY.
  --webhook-url <u>  A receiver that answers 2xx, e.g. https://hooks.example.com/edgewatch. A deployed
                     Worker posts only to public https URLs.
  --timeout <s>      How long one check may wait (default 20).
  --help             Show this help.
`;

function usageError(message: string): never {
  console.error(`smoke: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function options(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        key: { type: 'string' },
        'webhook-url': { type: 'string' },
        timeout: { type: 'string', default: '20' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    usageError(`${(err as Error).message}. Example: npm run smoke -- https://edgewatch.example.com --key ewk_…`);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const [url, ...extra] = parsed.positionals;
  const httpUrl = (s: string | undefined) =>
    s !== undefined && URL.canParse(s) && /^https?:$/.test(new URL(s).protocol);
  if (!httpUrl(url) || extra.length > 0) {
    usageError(
      `give one http(s) URL of the deployment, e.g. npm run smoke -- https://edgewatch.example.com (got ${JSON.stringify(parsed.positionals)})`,
    );
  }
  const key = parsed.values.key ?? process.env.EDGEWATCH_API_KEY;
  if (!key) usageError('no API key: pass --key ewk_… or set EDGEWATCH_API_KEY (an admin key of the deployment)');
  const webhookUrl = parsed.values['webhook-url'];
  if (webhookUrl !== undefined && !httpUrl(webhookUrl)) {
    usageError(
      `--webhook-url ${JSON.stringify(webhookUrl)} is not an http(s) URL, e.g. https://hooks.example.com/edgewatch`,
    );
  }
  const seconds = Number(parsed.values.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0)
    usageError(`--timeout ${JSON.stringify(parsed.values.timeout)} must be seconds, e.g. --timeout 30`);
  return { url: url!.replace(/\/+$/, ''), key, webhookUrl, timeoutMs: seconds * 1000 };
}

const CHECKS: Check[] = [
  { name: 'health', run: health },
  { name: 'credential', run: credential },
  { name: 'enrollment token', run: enrollmentToken },
  { name: 'enroll', run: enroll },
  { name: 'ingest', run: ingest },
  { name: 'latest', run: latest },
  { name: 'history', run: history },
  { name: 'live stream', run: liveStream },
];

/** Runs one check and prints its line; true if it passed. */
async function report(name: string, run: () => Promise<string>): Promise<boolean> {
  const started = performance.now();
  const ms = () => `${Math.round(performance.now() - started)} ms`.padStart(8);
  try {
    const detail = await run();
    console.log(`PASS ${name.padEnd(36)} ${ms()}  ${detail}`);
    return true;
  } catch (err) {
    console.log(`FAIL ${name.padEnd(36)} ${ms()}  ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

async function main() {
  const opts = options(process.argv.slice(2));
  const ctx: SmokeContext = {
    api: api(opts.url, opts.key, opts.timeoutMs),
    timeoutMs: opts.timeoutMs,
    webhookUrl: opts.webhookUrl,
    made: {},
  };
  const checks = opts.webhookUrl ? [...CHECKS, { name: 'webhook', run: webhookTest }] : CHECKS;
  console.log(`Smoke test of ${opts.url}${opts.webhookUrl ? '' : ' (no --webhook-url: webhook check skipped)'}`);
  let failed = 0;
  for (const check of checks) {
    // Each check builds on the ones before it, so after a failure the rest would only fail too.
    if (failed > 0) {
      console.log(`SKIP ${check.name}`);
      continue;
    }
    if (!(await report(check.name, () => check.run(ctx)))) failed += 1;
  }
  for (const step of cleanup(ctx)) if (!(await report(step.name, step.run))) failed += 1;
  console.log(failed === 0 ? '\nAll checks passed.' : `\n${failed} check(s) failed.`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
