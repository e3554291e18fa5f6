import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeAccount } from './fake-wrangler.ts';
import { runScript } from './run-script.ts';

/**
 * `npm run deploy` (scripts/deploy.ts) against a stand-in wrangler (fake-wrangler.ts, named by
 * EDGEWATCH_WRANGLER) that keeps an account in a file. The script deploys from a copy of
 * wrangler.toml in a temp folder, so the generated config and the secrets file land there.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLACEHOLDER = '00000000-0000-0000-0000-000000000000';
let dir: string;
let config: string;

const freshAccount = (): FakeAccount => ({
  loggedIn: true,
  accounts: [{ id: 'acc1', name: 'Ops' }],
  databases: [{ name: 'someone-else', uuid: '11111111-2222-3333-4444-555555555555' }],
  queues: [],
  workerExists: false,
  secrets: {},
  deploys: [],
  migrations: [],
});

const account = async () => JSON.parse(await readFile(join(dir, 'account.json'), 'utf8')) as FakeAccount;
const setAccount = (a: FakeAccount) => writeFile(join(dir, 'account.json'), JSON.stringify(a));
/** The calls since the last look, each as one line of arguments. */
async function calls(): Promise<string[]> {
  const text = await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => '');
  await writeFile(join(dir, 'calls.jsonl'), '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as string[]).join(' '));
}

/** Runs the deploy script with the stand-in; variables of the operator's own deploys are blanked. */
const deploy = (args: string[] = [], env: Record<string, string> = {}) =>
  runScript(join(ROOT, 'scripts/deploy.ts'), ['--config', config, ...args], {
    WEBHOOK_SECRETS_KEY: '',
    CLOUDFLARE_ACCOUNT_ID: '',
    EDGEWATCH_DOMAIN: '',
    EDGEWATCH_PUBLIC_URL: '',
    EDGEWATCH_WRANGLER: join(dir, 'wrangler'),
    FAKE_WRANGLER_DIR: dir,
    ...env,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-deploy-'));
  config = join(dir, 'wrangler.toml');
  await copyFile(join(ROOT, 'wrangler.toml'), config);
  const fake = fileURLToPath(new URL('./fake-wrangler.ts', import.meta.url));
  await writeFile(join(dir, 'wrangler'), `#!/bin/sh\nexec "${process.execPath}" "${fake}" "$@"\n`, { mode: 0o755 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run deploy with a stand-in wrangler', () => {
  beforeAll(() => setAccount(freshAccount()));

  it('creates the database, both queues and the secret on the first run, then deploys with the real id', async () => {
    const committed = await readFile(config, 'utf8');
    const run = await deploy();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const a = await account();
    const db = a.databases.find((d) => d.name === 'edgewatch')!;
    expect(db).toBeDefined();
    expect(a.queues).toEqual(['edgewatch-alerts', 'edgewatch-alerts-dlq']);
    expect(Object.keys(a.secrets)).toEqual(['WEBHOOK_SECRETS_KEY']);
    expect(Buffer.from(a.secrets.WEBHOOK_SECRETS_KEY!, 'base64')).toHaveLength(32);
    expect(a.migrations).toEqual([{ database: 'edgewatch', id: db.uuid }]);

    const [deployed] = a.deploys;
    expect(deployed!.args.slice(0, 3)).toEqual(['deploy', '--config', '.wrangler.deploy.toml']);
    expect(deployed!.args).toContain('--secrets-file');
    expect(deployed!.config).toContain(`database_id = "${db.uuid}"`);
    expect(deployed!.config).not.toContain(PLACEHOLDER);
    // Everything else as committed, comments included; the committed file itself unchanged.
    expect(deployed!.config.replace(db.uuid, PLACEHOLDER)).toContain(committed);
    expect(await readFile(config, 'utf8')).toBe(committed);
    // The secret went up with the deploy and did not stay on disk.
    await expect(stat(join(dir, '.wrangler/edgewatch-deploy/secrets.json'))).rejects.toThrow(/ENOENT/);

    expect((await calls()).filter((c) => /create|apply|^deploy/.test(c))).toEqual([
      'd1 create edgewatch',
      'queues create edgewatch-alerts',
      'queues create edgewatch-alerts-dlq',
      'd1 migrations apply edgewatch --remote --config .wrangler.deploy.toml',
      'deploy --config .wrangler.deploy.toml --secrets-file .wrangler/edgewatch-deploy/secrets.json',
    ]);
    expect(run.stdout).toMatch(/\] databases: .*\n.*\n\s+✓ 1 created, 0 reused \(\d+ ms\)/);
    expect(run.stdout).toContain('live at https://edgewatch.ops.workers.dev');
  });

  it('reuses everything on a second run: nothing created, the secret kept', async () => {
    const before = await account();
    const run = await deploy();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const a = await account();
    expect(a.databases).toEqual(before.databases);
    expect(a.queues).toEqual(before.queues);
    expect(a.secrets).toEqual(before.secrets);
    const made = (await calls()).filter((c) => /create|apply|^deploy/.test(c));
    expect(made).toEqual([
      'd1 migrations apply edgewatch --remote --config .wrangler.deploy.toml',
      'deploy --config .wrangler.deploy.toml',
    ]);
    expect(run.stdout).toContain('WEBHOOK_SECRETS_KEY: set on the Worker, kept');
    expect(run.stdout).toMatch(/queues: .*\n(.*\n){2}\s+✓ 2 reused/);
  });

  it('passes a custom domain, its PUBLIC_URL and other [vars] overrides to wrangler deploy', async () => {
    const run = await deploy(['--domain', 'edgewatch.example.com', '--var', 'SIGNUP:open']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((await account()).deploys.at(-1)!.args).toEqual([
      'deploy',
      '--config',
      '.wrangler.deploy.toml',
      '--domain',
      'edgewatch.example.com',
      '--var',
      'SIGNUP:open',
      '--var',
      'PUBLIC_URL:https://edgewatch.example.com',
    ]);
    await calls();
  });
});

describe('npm run deploy when something is wrong', () => {
  beforeEach(async () => {
    await setAccount(freshAccount());
    await calls();
  });

  it('--dry-run looks things up and changes nothing', async () => {
    const run = await deploy(['--dry-run']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await account()).toEqual(freshAccount());
    expect(await calls()).toEqual([
      'whoami --json',
      'secret list --format json --name edgewatch',
      'd1 list --json',
      'queues info edgewatch-alerts',
      'queues info edgewatch-alerts-dlq',
    ]);
    expect(run.stdout).toContain('would run: wrangler d1 create edgewatch');
    expect(run.stdout).toContain('would run: wrangler queues create edgewatch-alerts-dlq');
    expect(run.stdout).toContain(
      'would run: wrangler deploy --config .wrangler.deploy.toml --secrets-file <secrets file>',
    );
  });

  it('stops at a failing step, names it, and runs nothing after it', async () => {
    await setAccount({ ...freshAccount(), failOn: 'queues create edgewatch-alerts-dlq' });
    const run = await deploy();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('deploy failed at step "queues"');
    expect(run.stderr).toContain('`wrangler queues create edgewatch-alerts-dlq` failed (exit 1)');
    expect(run.stderr).toContain('Queue limit reached [code: 11010]');
    const seen = await calls();
    expect(seen.at(-1)).toBe('queues create edgewatch-alerts-dlq');
    expect(seen.some((c) => c.startsWith('deploy') || c.startsWith('d1 migrations'))).toBe(false);
  });

  it('tells a user who is not logged in how to log in', async () => {
    await setAccount({ ...freshAccount(), loggedIn: false });
    const run = await deploy();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('deploy failed at step "login"');
    expect(run.stderr).toContain('npx wrangler login');
    expect(run.stderr).toContain('CLOUDFLARE_API_TOKEN');
    expect(await calls()).toEqual(['whoami --json']);
  });

  it('asks which account to use when the login reaches several', async () => {
    await setAccount({
      ...freshAccount(),
      accounts: [
        { id: 'acc1', name: 'Ops' },
        { id: 'acc2', name: 'Lab' },
      ],
    });
    const run = await deploy();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CLOUDFLARE_ACCOUNT_ID=acc1 npm run deploy');
  });

  it('takes WEBHOOK_SECRETS_KEY from the environment, and refuses one that is not 32 bytes', async () => {
    const bad = await deploy([], { WEBHOOK_SECRETS_KEY: 'c2hvcnQ=' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'deploy failed at step "secrets" (Worker secrets): WEBHOOK_SECRETS_KEY from the environment must be base64 of 32 bytes',
    );
    await setAccount(freshAccount());
    const key = Buffer.alloc(32, 7).toString('base64');
    const good = await deploy([], { WEBHOOK_SECRETS_KEY: key });
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect((await account()).secrets).toEqual({ WEBHOOK_SECRETS_KEY: key });
  });

  it('refuses a [vars] value the Worker would refuse, naming it, before calling wrangler', async () => {
    const run = await deploy(['--var', 'SIGNUP:sometimes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('deploy failed at step "settings"');
    expect(run.stderr).toContain('setting SIGNUP="sometimes" must be open, invite or closed');
    expect(await calls()).toEqual([]);
  });

  it('refuses a bad --domain before calling wrangler, and explains itself with --help', async () => {
    const run = await deploy(['--domain', 'https://edgewatch.example.com/']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('must be a host name only, e.g. --domain edgewatch.example.com');
    const help = await deploy(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
    expect(await calls()).toEqual([]);
  });
});
