/**
 * A stand-in for the wrangler CLI, for the deploy script's tests: an account kept in a JSON file
 * (FAKE_WRANGLER_DIR/account.json), each call's arguments appended to calls.jsonl, and answers
 * shaped like wrangler 4's for the commands the deploy runs. `failOn` in the account makes any
 * call starting with those words fail as the API would.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeAccount {
  loggedIn: boolean;
  accounts: { id: string; name: string }[];
  databases: { name: string; uuid: string }[];
  queues: string[];
  workerExists: boolean;
  secrets: Record<string, string>;
  /** What each deploy was given: its config file's text and the flags after it. */
  deploys: { config: string; args: string[] }[];
  /** Migrations applied: the database and the database_id the config gave it. */
  migrations: { database: string; id: string | undefined }[];
  failOn?: string;
}

const dir = process.env.FAKE_WRANGLER_DIR!;
const file = join(dir, 'account.json');
const args = process.argv.slice(2);
appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify(args)}\n`);
const account = JSON.parse(readFileSync(file, 'utf8')) as FakeAccount;
const save = () => writeFileSync(file, JSON.stringify(account, null, 2));
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const fail = (message: string): never => {
  process.stderr.write(`\n✘ [ERROR] ${message}\n`);
  process.exit(1);
};
const line = args.filter((a) => !a.startsWith('-')).join(' ');

if (account.failOn && args.join(' ').startsWith(account.failOn)) {
  fail('A request to the Cloudflare API (/accounts/x/queues) failed.\n\n  Queue limit reached [code: 11010]');
}
if (line !== 'whoami' && !account.loggedIn) {
  fail('Failed to automatically retrieve account IDs: you are not authenticated. Please run `wrangler login`.');
}

switch (true) {
  case line === 'whoami':
    if (!account.loggedIn) {
      console.log(JSON.stringify({ loggedIn: false }));
      process.exit(1);
    }
    console.log(
      JSON.stringify({ loggedIn: true, authType: 'OAuth Token', email: 'ops@example.com', accounts: account.accounts }),
    );
    break;
  case line === 'd1 list':
    console.log(JSON.stringify(account.databases.map((d) => ({ ...d, version: 'production' }))));
    break;
  case line.startsWith('d1 create '): {
    const uuid = randomUUID();
    account.databases.push({ name: args[2]!, uuid });
    console.log(`✅ Successfully created DB '${args[2]}'\nCreated your new D1 database.\n{ "database_id": "${uuid}" }`);
    break;
  }
  case line.startsWith('queues info '):
    if (!account.queues.includes(args[2]!)) {
      fail(`Queue "${args[2]}" does not exist. To create it, run: wrangler queues create ${args[2]}`);
    }
    console.log(`Queue Name: ${args[2]}\nQueue ID: q-${args[2]}\nNumber of Producers: 0`);
    break;
  case line.startsWith('queues create '):
    account.queues.push(args[2]!);
    console.log(`🌀 Creating queue '${args[2]}'\n✅ Created queue '${args[2]}'`);
    break;
  case line === 'secret list' || line.startsWith('secret list '):
    if (!account.workerExists)
      fail(
        `Worker "${flag('--name')}" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`,
      );
    console.log(JSON.stringify(Object.keys(account.secrets).map((name) => ({ name, type: 'secret_text' }))));
    break;
  case line.startsWith('d1 migrations apply '): {
    const config = readFileSync(flag('--config')!, 'utf8');
    const id = /^database_id = "(.*)"/m.exec(config)?.[1];
    account.migrations.push({ database: args[3]!, id });
    console.log('Migrations to be applied:\n0001_init.sql\n✅ Applied');
    break;
  }
  case line.startsWith('deploy'): {
    const secretsFile = flag('--secrets-file');
    if (secretsFile) {
      if (!existsSync(secretsFile)) fail(`secrets file ${secretsFile} not found`);
      Object.assign(account.secrets, JSON.parse(readFileSync(secretsFile, 'utf8')));
    }
    account.deploys.push({ config: readFileSync(flag('--config')!, 'utf8'), args });
    account.workerExists = true;
    console.log(
      'Uploaded edgewatch (2.10 sec)\nDeployed edgewatch triggers (0.80 sec)\n  https://edgewatch.ops.workers.dev',
    );
    break;
  }
  default:
    fail(`the fake wrangler does not know: ${args.join(' ')}`);
}
save();
