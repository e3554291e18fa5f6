import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { commandFailed, StepError, type DeployContext } from './context.ts';
import { parseJsonOutput } from './wrangler-cli.ts';

/** How the deploy makes a secret the Worker lacks; one without an entry must come from the environment. */
const GENERATED: Record<string, { make(): string; check(value: string): string | undefined; example: string }> = {
  // Webhook signing secrets are stored under it (services/notify/secret-box.ts): AES-256, so 32 bytes.
  WEBHOOK_SECRETS_KEY: {
    make: () => randomBytes(32).toString('base64'),
    check: (v) => (Buffer.from(v, 'base64').length === 32 ? undefined : 'must be base64 of 32 bytes'),
    example: '$(openssl rand -base64 32)',
  },
};

/**
 * The `[secrets] required` the Worker lacks (`wrangler secret list`), each given a value: from the
 * environment variable of its name if set, else generated. An existing secret is never replaced:
 * rotating WEBHOOK_SECRETS_KEY makes every stored webhook secret unreadable (docs/deploy.md).
 */
export async function prepareSecrets(ctx: DeployContext): Promise<string> {
  const present = await existingSecrets(ctx);
  for (const name of ctx.plan.secrets) {
    if (present.has(name)) {
      ctx.note(`${name}: set on the Worker, kept`);
      continue;
    }
    const how = GENERATED[name];
    const given = process.env[name];
    if (given !== undefined && given !== '') {
      const problem = how?.check(given);
      if (problem) throw new StepError(`${name} from the environment ${problem}`, `e.g. ${name}=${how!.example}`);
      ctx.newSecrets.set(name, given);
      ctx.note(`${name}: missing; the value from the environment goes up with the deploy`);
    } else if (how) {
      ctx.newSecrets.set(name, how.make());
      ctx.note(`${name}: missing; a new random value goes up with the deploy`);
    } else {
      throw new StepError(
        `the Worker lacks the secret ${name} (wrangler.toml [secrets] required) and the deploy cannot make one`,
        `Give it a value in the environment: ${name}=… npm run deploy`,
      );
    }
  }
  return ctx.newSecrets.size === 0 ? 'all set' : `to upload: ${[...ctx.newSecrets.keys()].join(', ')}`;
}

/** Names of the Worker's secrets; none when the Worker has not been deployed yet. */
async function existingSecrets(ctx: DeployContext): Promise<Set<string>> {
  const args = ['secret', 'list', '--format', 'json', '--name', ctx.plan.worker];
  const r = await ctx.wrangler(args);
  if (r.code !== 0) {
    if (/Worker "[^"]*"[^\n]* not found|\[code: 10007\]/.test(`${r.stdout}\n${r.stderr}`)) {
      ctx.note(`the Worker ${ctx.plan.worker} does not exist yet: this is its first deploy`);
      return new Set();
    }
    throw commandFailed(args, r);
  }
  return new Set(parseJsonOutput<{ name: string }[]>(r.stdout).map((s) => s.name));
}

/**
 * Writes the new secrets for `wrangler deploy --secrets-file` (0600), and returns a function that
 * removes them. They go up with the deploy itself: before a Worker's first deploy there is nothing
 * to `secret put` to, and on a live Worker `secret put` deploys a version of its own.
 */
export async function writeSecretsFile(secrets: ReadonlyMap<string, string>, path: string) {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify(Object.fromEntries(secrets)), { mode: 0o600 });
  await chmod(path, 0o600);
  return () => rm(path, { force: true });
}
