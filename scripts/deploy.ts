/**
 * `npm run deploy`: puts Edgewatch on Cloudflare, creating what is missing and reusing what exists
 * (D1 databases, queues, secrets), then applies D1 migrations and deploys. Runbook: docs/deploy.md.
 */
import { parseArgs } from 'node:util';
import { dirname, resolve } from 'node:path';
import { deployPaths, readPlan, SOURCE_CONFIG } from './deploy/config.ts';
import { StepError, type DeployContext } from './deploy/context.ts';
import { STEPS } from './deploy/steps.ts';
import { wranglerCli } from './deploy/wrangler-cli.ts';

const USAGE = `Usage: npm run deploy [-- options]

Builds the dashboard, then deploys Edgewatch to the Cloudflare account wrangler is logged in to:
  1. checks the [vars] settings and the login
  2. finds each Worker secret of wrangler.toml [secrets] or makes it (WEBHOOK_SECRETS_KEY: 32 random bytes)
  3. finds or creates the D1 databases and the queues (the dead-letter queue too)
  4. writes .wrangler.deploy.toml: wrangler.toml with the real database ids (wrangler.toml is not changed)
  5. applies D1 migrations remotely, then runs wrangler deploy with that config
Every step reuses what exists, so running it again is safe. Afterwards: npm run smoke -- <url>.

Options:
  --dry-run          Look things up, change nothing: print each command that would change something.
  --domain <host>    Attach a custom domain (a zone on this account), e.g. --domain edgewatch.example.com.
                     Also sets PUBLIC_URL to https://<host> unless --public-url says otherwise.
  --public-url <url> PUBLIC_URL for this deploy (links in notifications), e.g. https://edgewatch.example.com.
                     [vars] are replaced on every deploy: pass it each time, or set EDGEWATCH_PUBLIC_URL.
  --config <file>    Another wrangler config to deploy from (default: wrangler.toml); the generated
                     config and the secrets file go beside it.
  --var NAME:value   Override a [vars] setting for this deploy (repeatable), e.g. --var SIGNUP:open.
  --help             Show this help.

Environment:
  CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID   log in without \`npx wrangler login\` (CI)
  EDGEWATCH_DOMAIN, EDGEWATCH_PUBLIC_URL        defaults for --domain and --public-url
  WEBHOOK_SECRETS_KEY                           the key to set if the Worker has none (else one is made)
  EDGEWATCH_WRANGLER                            a wrangler executable to run instead of the pinned one
`;

interface Options {
  dryRun: boolean;
  domain: string | undefined;
  vars: Record<string, string>;
  config: string;
}

function usageError(message: string): never {
  console.error(`deploy: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function options(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'dry-run': { type: 'boolean', default: false },
        domain: { type: 'string' },
        'public-url': { type: 'string' },
        config: { type: 'string' },
        var: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    usageError(`${(err as Error).message}. Example: npm run deploy -- --dry-run`);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const domain = parsed.domain ?? (process.env.EDGEWATCH_DOMAIN || undefined);
  if (domain !== undefined && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i.test(domain)) {
    usageError(`--domain ${JSON.stringify(domain)} must be a host name only, e.g. --domain edgewatch.example.com`);
  }
  const publicUrl =
    parsed['public-url'] ??
    (process.env.EDGEWATCH_PUBLIC_URL || undefined) ??
    (domain ? `https://${domain}` : undefined);
  const vars: Record<string, string> = {};
  for (const pair of parsed.var) {
    const at = pair.indexOf(':');
    if (at < 1) usageError(`--var ${JSON.stringify(pair)} must be NAME:value, e.g. --var SIGNUP:open`);
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (publicUrl) vars.PUBLIC_URL = publicUrl;
  return { dryRun: parsed['dry-run'], domain, vars, config: resolve(parsed.config ?? SOURCE_CONFIG) };
}

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

async function main() {
  const opts = options(process.argv.slice(2));
  const paths = deployPaths(opts.config);
  let plan;
  try {
    plan = readPlan(paths.source);
  } catch (err) {
    console.error(`deploy: ${paths.source}: ${(err as Error).message}`);
    process.exit(2);
  }
  const ctx: DeployContext = {
    wrangler: wranglerCli(dirname(paths.source)),
    plan,
    paths,
    dryRun: opts.dryRun,
    databaseIds: new Map(),
    newSecrets: new Map(),
    domain: opts.domain,
    vars: opts.vars,
    note: (line) => console.log(`      ${line}`),
  };
  console.log(`Deploying Worker ${plan.worker}${opts.dryRun ? ' (dry run: nothing is changed)' : ''}`);
  for (const [i, step] of STEPS.entries()) {
    const label = `[${i + 1}/${STEPS.length}] ${step.name}`;
    console.log(`${label}: ${step.title}`);
    const started = performance.now();
    try {
      const summary = await step.run(ctx);
      console.log(`      ✓ ${summary} (${seconds(performance.now() - started)})`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      console.error(`      ✗ failed after ${seconds(performance.now() - started)}`);
      console.error(`\ndeploy failed at step "${step.name}" (${step.title}): ${message}`);
      if (err instanceof StepError && err.hint) console.error(err.hint);
      if (!(err instanceof StepError) && err instanceof Error && err.stack) console.error(err.stack);
      process.exit(1);
    }
  }
  console.log(
    opts.dryRun
      ? '\nDry run complete: run without --dry-run to make these changes.'
      : '\nDeployed. Check it end to end: npm run smoke -- <url> --key <an admin API key> (docs/deploy.md)',
  );
}

await main();
