import { basename } from 'node:path';
import { change, commandFailed, LOGIN_HINT, mustRun, StepError, type DeployContext } from './context.ts';
import { parseJsonOutput } from './wrangler-cli.ts';

interface WhoAmI {
  loggedIn: boolean;
  email?: string;
  accounts?: { id: string; name: string }[];
}

/** `wrangler whoami --json`: logged in, and to one account the commands below can use. */
export async function checkLogin(ctx: DeployContext): Promise<string> {
  const r = await ctx.wrangler(['whoami', '--json']);
  let who: WhoAmI | undefined;
  try {
    who = parseJsonOutput<WhoAmI>(r.stdout);
  } catch {
    // Not JSON: reported below with wrangler's own words.
  }
  if (r.code !== 0 || !who?.loggedIn) throw new StepError('wrangler is not logged in to Cloudflare', LOGIN_HINT);
  const accounts = who.accounts ?? [];
  const chosen = ctx.plan.accountId ?? process.env.CLOUDFLARE_ACCOUNT_ID;
  if (!chosen && accounts.length > 1) {
    const list = accounts.map((a) => `${a.id} (${a.name})`).join(', ');
    throw new StepError(
      `this login reaches ${accounts.length} accounts (${list}) and none is chosen`,
      `Choose one, e.g. CLOUDFLARE_ACCOUNT_ID=${accounts[0]!.id} npm run deploy`,
    );
  }
  const account = accounts.find((a) => a.id === chosen) ?? accounts[0];
  return `${who.email ?? 'API token'}${account ? `, account ${account.name} (${account.id})` : ''}`;
}

interface D1Listing {
  uuid: string;
  name: string;
}

const listDatabases = async (ctx: DeployContext) =>
  parseJsonOutput<D1Listing[]>((await mustRun(ctx, ['d1', 'list', '--json'])).stdout);

/** Each D1 database in wrangler.toml, found by name (`d1 list --json`) or created. */
export async function ensureDatabases(ctx: DeployContext): Promise<string> {
  const found = new Map((await listDatabases(ctx)).map((d) => [d.name, d.uuid]));
  const created: string[] = [];
  for (const db of ctx.plan.databases) {
    const id = found.get(db.name);
    if (id) {
      ctx.note(`${db.name} (${db.binding}): exists, ${id}`);
      ctx.databaseIds.set(db.name, id);
    } else if (await change(ctx, ['d1', 'create', db.name])) {
      created.push(db.name);
    }
  }
  if (created.length > 0) {
    // The id comes from the listing, which is JSON, rather than from create's prose.
    const after = new Map((await listDatabases(ctx)).map((d) => [d.name, d.uuid]));
    for (const name of created) {
      const id = after.get(name);
      if (!id) throw new StepError(`created D1 database ${name}, but \`wrangler d1 list\` does not show it`);
      ctx.note(`${name}: created, ${id}`);
      ctx.databaseIds.set(name, id);
    }
  }
  return summary(ctx.plan.databases.length, created.length, ctx.dryRun);
}

/**
 * Each queue, the dead-letter queue included, found or created. `queues info <name>` asks for one
 * queue by name; `queues list` prints a paged table with no JSON form.
 */
export async function ensureQueues(ctx: DeployContext): Promise<string> {
  let created = 0;
  for (const queue of ctx.plan.queues) {
    const args = ['queues', 'info', queue];
    const r = await ctx.wrangler(args);
    const output = `${r.stdout}\n${r.stderr}`;
    const exists = r.code === 0 && new RegExp(`^Queue Name: ${escape(queue)}\\s*$`, 'm').test(output);
    if (exists) {
      ctx.note(`${queue}: exists`);
      continue;
    }
    if (r.code !== 0 && !/does not exist/i.test(output)) throw commandFailed(args, r);
    if (await change(ctx, ['queues', 'create', queue])) ctx.note(`${queue}: created`);
    created += 1;
  }
  return summary(ctx.plan.queues.length, created, ctx.dryRun);
}

/** Schema migrations on each remote database (forward only; wrangler records what it applied). */
export async function applyMigrations(ctx: DeployContext): Promise<string> {
  const withMigrations = ctx.plan.databases.filter((db) => db.migrationsDir);
  for (const db of withMigrations) {
    const args = ['d1', 'migrations', 'apply', db.name, '--remote', '--config', basename(ctx.paths.generated)];
    await change(ctx, args, true);
  }
  const names = withMigrations.map((db) => db.name).join(', ');
  return withMigrations.length === 0
    ? 'no database has migrations'
    : `${ctx.dryRun ? 'would apply' : 'applied'}: ${names}`;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function summary(total: number, created: number, dryRun: boolean): string {
  const reused = total - created;
  if (created === 0) return `${reused} reused`;
  return `${created} ${dryRun ? 'to create' : 'created'}, ${reused} reused`;
}
