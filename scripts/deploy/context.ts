import type { DeployPaths, DeployPlan } from './config.ts';
import type { Wrangler, WranglerResult } from './wrangler-cli.ts';

/** A step failed: the message says what and why; `hint` what to do about it. */
export class StepError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'StepError';
    this.hint = hint;
  }
}

/** Everything the steps share: the plan from wrangler.toml, and what earlier steps found. */
export interface DeployContext {
  wrangler: Wrangler;
  plan: DeployPlan;
  /** The source config, the generated one and the secrets file; wrangler runs in their folder. */
  paths: DeployPaths;
  dryRun: boolean;
  /** Real D1 ids by database name, filled in by the databases step. */
  databaseIds: Map<string, string>;
  /** Secret values to upload with the deploy, by name (missing on the Worker). */
  newSecrets: Map<string, string>;
  /** `--domain`: a custom domain the deploy attaches. */
  domain: string | undefined;
  /** [vars] overrides for this deploy: `--var`, and PUBLIC_URL from `--public-url` or https://<domain>. */
  vars: Record<string, string>;
  /** One line of progress under the current step. */
  note(line: string): void;
}

export const LOGIN_HINT =
  'Log in with `npx wrangler login`, or set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID) for a CI job; see docs/deploy.md';

const AUTH_TROUBLE =
  /not (logged in|authenticated)|authentication error|invalid (api )?token|\[code: 10000\]|CLOUDFLARE_API_TOKEN/i;

/** The last lines of a failed command's output: the error is at the end, after wrangler's banner. */
const tail = (r: WranglerResult) =>
  `${r.stdout}\n${r.stderr}`
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-15)
    .join('\n');

/** The StepError for a wrangler command that failed, with the login hint when it looks like auth. */
export function commandFailed(args: string[], r: WranglerResult): StepError {
  const output = tail(r);
  return new StepError(
    `\`wrangler ${args.join(' ')}\` failed (exit ${r.code})${output ? `:\n${output.replace(/^/gm, '    ')}` : ''}`,
    AUTH_TROUBLE.test(output) ? LOGIN_HINT : undefined,
  );
}

/** Runs a wrangler command that must succeed. */
export async function mustRun(ctx: DeployContext, args: string[], echo = false): Promise<WranglerResult> {
  const r = await ctx.wrangler(args, { echo });
  if (r.code !== 0) throw commandFailed(args, r);
  return r;
}

/** Runs a command that changes something on Cloudflare, or under --dry-run says it would. */
export async function change(ctx: DeployContext, args: string[], echo = false): Promise<WranglerResult | undefined> {
  if (ctx.dryRun) {
    ctx.note(`would run: wrangler ${args.join(' ')}`);
    return undefined;
  }
  return mustRun(ctx, args, echo);
}
