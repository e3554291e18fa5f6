import { basename, dirname, relative } from 'node:path';
import { parseSettings, SettingsError } from '../../workers/src/settings.ts';
import { writeDeployConfig } from './config.ts';
import { change, StepError, type DeployContext } from './context.ts';
import { applyMigrations, checkLogin, ensureDatabases, ensureQueues } from './resources.ts';
import { prepareSecrets, writeSecretsFile } from './secrets.ts';

export interface Step {
  /** Short and stable: failures are reported by it ("failed at step queues"). */
  name: string;
  title: string;
  /** Does the work and returns a one-line summary. */
  run(ctx: DeployContext): Promise<string>;
}

/** The [vars] in wrangler.toml, with this deploy's overrides, as the Worker will parse them. */
async function checkSettings(ctx: DeployContext): Promise<string> {
  const vars = { ...ctx.plan.vars, ...ctx.vars };
  try {
    parseSettings(vars);
  } catch (err) {
    if (err instanceof SettingsError)
      throw new StepError(err.message, 'Fix it in wrangler.toml [vars], or in --var / --public-url');
    throw err;
  }
  if (!vars.PUBLIC_URL) ctx.note('PUBLIC_URL is empty: notifications carry no incident links (see --public-url)');
  return `${Object.keys(vars).length} values valid`;
}

async function writeConfig(ctx: DeployContext): Promise<string> {
  const target = basename(ctx.paths.generated);
  if (ctx.dryRun) {
    const ids = ctx.plan.databases.map(
      (db) => `${db.name}=${ctx.databaseIds.get(db.name) ?? '<id of the new database>'}`,
    );
    return `would write ${target} with ${ids.join(', ')}`;
  }
  await writeDeployConfig(ctx.paths, ctx.databaseIds);
  return `wrote ${target} (${basename(ctx.paths.source)} with the real database ids)`;
}

async function deploy(ctx: DeployContext): Promise<string> {
  const { generated, secretsFile } = ctx.paths;
  const args = ['deploy', '--config', basename(generated)];
  if (ctx.newSecrets.size > 0)
    args.push('--secrets-file', ctx.dryRun ? '<secrets file>' : relative(dirname(generated), secretsFile));
  if (ctx.domain) args.push('--domain', ctx.domain);
  // [vars] are replaced on every deploy, so an override (PUBLIC_URL too) must come with each one.
  for (const [name, value] of Object.entries(ctx.vars)) args.push('--var', `${name}:${value}`);
  const cleanup =
    ctx.newSecrets.size > 0 && !ctx.dryRun ? await writeSecretsFile(ctx.newSecrets, secretsFile) : undefined;
  try {
    const r = await change(ctx, args, true);
    if (!r) return 'dry run: nothing deployed';
    const url = ctx.vars.PUBLIC_URL ?? /https:\/\/[^\s]+\.workers\.dev\b/.exec(r.stdout)?.[0];
    return url ? `live at ${url}` : 'deployed';
  } finally {
    await cleanup?.();
  }
}

/** Every step of `npm run deploy`, in order; each one reuses what exists, so a second run changes nothing. */
export const STEPS: Step[] = [
  { name: 'settings', title: 'Check the [vars] settings', run: checkSettings },
  { name: 'login', title: 'Check the Cloudflare login', run: checkLogin },
  // Before anything is created: a required secret nobody can supply stops the run here.
  { name: 'secrets', title: 'Worker secrets', run: prepareSecrets },
  { name: 'databases', title: 'D1 databases', run: ensureDatabases },
  { name: 'queues', title: 'Queues (alerts and the dead-letter queue)', run: ensureQueues },
  { name: 'config', title: 'Deploy config with the real database ids', run: writeConfig },
  { name: 'migrations', title: 'D1 migrations (remote)', run: applyMigrations },
  { name: 'deploy', title: 'Deploy the Worker and the dashboard', run: deploy },
];
