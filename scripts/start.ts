/**
 * `npm start`: the whole platform on this machine. Applies migrations to a persisted local D1,
 * seeds an org/admin/API key/enrollment token on first run, starts the Worker on workerd,
 * enrolls and runs an agent for this host, prints the dashboard URL and credentials.
 * With `--demo-site` (or EDGEWATCH_DEMO_SITE=1), also a simulated T3000 site behind a local
 * gateway (scripts/local/demo-site.ts). Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { unstable_readConfig } from 'wrangler';
import { parseSettings, SettingsError } from '../workers/src/settings.ts';
import { buildAll } from './build.ts';
import { DEMO_SITE_NAME, startDemoSite } from './local/demo-site.ts';
import { freePort } from './local/free-port.ts';
import { newSeed, readJson, seedSql, writeSecretJson, type Seed } from './local/seed.ts';
import { executeLocal, migrateLocal, ROOT, startWorker } from './local/wrangler.ts';

const STATE = join(ROOT, '.edgewatch');
const PERSIST = join(STATE, 'state');
const SEED_FILE = join(STATE, 'seed.json');
const LOCAL_FILE = join(STATE, 'local.json');
const AGENT_CONFIG = join(STATE, 'agent.json');
// The agent's spool and status file live with the rest of the local state. Recorded in its
// config (relative to it), so `edgewatch-agent status --config .edgewatch/agent.json` finds them.
const AGENT_STATE = 'agent-state';
const AGENT = join(ROOT, 'agent/dist/edgewatch-agent.js');
const GATEWAY_CONFIG = join(STATE, 'gateway.json');
const GATEWAY_STATE = 'gateway-state';

const USAGE = `Usage: npm start [-- --demo-site]

Runs the whole platform on this machine: the Worker on workerd with a local D1, an agent for
this host, and the dashboard.

Options:
  --demo-site  Also run a simulated T3000 building site (three controllers on loopback) behind
               a local gateway, shown as "${DEMO_SITE_NAME}" in the dashboard. Same as
               EDGEWATCH_DEMO_SITE=1.
  --help       Show this help.

Environment: EDGEWATCH_PORT (default 8787, or the next free port), SIGNUP=open (allow sign-up).
`;

function parseArgs(argv: string[]): { demoSite: boolean } {
  let demoSite = process.env.EDGEWATCH_DEMO_SITE === '1' || process.env.EDGEWATCH_DEMO_SITE === 'true';
  for (const arg of argv) {
    if (arg === '--demo-site') demoSite = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else {
      console.error(`edgewatch: unknown option ${JSON.stringify(arg)}. Example: npm start -- --demo-site\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return { demoSite };
}

const step = (msg: string) => console.log(`edgewatch: ${msg}`);

/** Webhook receivers on this machine (loopback, the LAN) are the point of a local platform. */
const LOCAL_VARS = { ALLOW_PRIVATE_WEBHOOKS: 'true' };

/** Fails before anything starts when a [vars] value in wrangler.toml is unusable, naming it. */
function checkSettings() {
  try {
    const vars = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') }).vars;
    parseSettings({ ...vars, ...LOCAL_VARS, ...(process.env.SIGNUP ? { SIGNUP: process.env.SIGNUP } : {}) });
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    console.error(`edgewatch: wrangler.toml [vars]: ${err.message}`);
    process.exit(2);
  }
}

const DEV_VARS = join(ROOT, '.dev.vars');

/**
 * The Worker secret webhook signing secrets are stored under (wrangler.toml `[secrets]`): kept in
 * .dev.vars, where wrangler dev reads secrets, and written there once if missing. It must stay
 * the same while the local D1 lives, or stored secrets no longer open.
 */
async function ensureWebhookKey() {
  const existing = existsSync(DEV_VARS) ? await readFile(DEV_VARS, 'utf8') : '';
  const line = existing.split('\n').find((l) => l.startsWith('WEBHOOK_SECRETS_KEY='));
  if (line) {
    const value = line.slice('WEBHOOK_SECRETS_KEY='.length).trim().replace(/^"|"$/g, '');
    if (Buffer.from(value, 'base64').length !== 32) {
      console.error('edgewatch: .dev.vars: WEBHOOK_SECRETS_KEY must be base64 of 32 random bytes');
      process.exit(2);
    }
    return;
  }
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
  const prefix = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(DEV_VARS, `${prefix}WEBHOOK_SECRETS_KEY=${key}\n`, { mode: 0o600 });
  step('wrote a new WEBHOOK_SECRETS_KEY to .dev.vars (webhook signing secrets are stored under it)');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(STATE, { recursive: true, mode: 0o700 });
  checkSettings();
  await ensureWebhookKey();
  step('building the dashboard and the agent bundle');
  await buildAll();

  const fresh = !existsSync(PERSIST);
  step(`applying migrations to the local D1 in .edgewatch/state${fresh ? ' (new)' : ''}`);
  await migrateLocal(PERSIST);

  let seed = await readJson<Seed>(SEED_FILE);
  if (!seed) {
    seed = newSeed();
    await writeSecretJson(SEED_FILE, seed);
  }
  // A wiped database forgets the device, so the agent must enroll again.
  if (fresh) {
    rmSync(AGENT_CONFIG, { force: true });
    rmSync(GATEWAY_CONFIG, { force: true });
  }
  const sqlFile = join(STATE, 'seed.sql');
  await writeFile(sqlFile, await seedSql(seed), { mode: 0o600 });
  await executeLocal(PERSIST, sqlFile);
  rmSync(sqlFile);

  const port = await freePort(Number(process.env.EDGEWATCH_PORT) || 8787);
  step(`starting the Worker on workerd, port ${port} (log: .edgewatch/worker.log)`);
  const url = `http://localhost:${port}`;
  // Sign-up is closed locally (the seeded admin signs in); `SIGNUP=open npm start` opens it.
  const vars = { ...LOCAL_VARS, PUBLIC_URL: url, ...(process.env.SIGNUP ? { SIGNUP: process.env.SIGNUP } : {}) };
  const worker = await startWorker({ port, persistTo: PERSIST, logFile: join(STATE, 'worker.log'), vars });
  step('ALLOW_PRIVATE_WEBHOOKS is set: webhooks may post to loopback and private addresses (local use only)');
  await writeSecretJson(LOCAL_FILE, { url, apiKey: seed.apiKey, email: seed.email, password: seed.password });

  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    step('stopping');
    await Promise.all(children.map(stopChild));
    await worker.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  try {
    await enrollIfNeeded(url, seed);
  } catch (err) {
    console.error(String(err));
    await stopAll(1);
  }
  step('starting the agent for this host (log: .edgewatch/agent.log)');
  const agent = spawnAgent(['run', '--config', AGENT_CONFIG], join(STATE, 'agent.log'));
  children.push(agent);
  agent.on('exit', (code) => {
    if (!stopping && code !== 0 && code !== null) step(`the agent exited with ${code}; see .edgewatch/agent.log`);
  });
  if (args.demoSite) {
    step('starting the demo site: simulated T3000 controllers and a gateway (log: .edgewatch/demo-site.log)');
    try {
      children.push(
        ...(await startDemoSite({
          url,
          apiKey: seed.apiKey,
          configPath: GATEWAY_CONFIG,
          spoolDir: GATEWAY_STATE,
          spawnAgent,
          logFile: join(STATE, 'demo-site.log'),
          step,
        })),
      );
    } catch (err) {
      console.error(`edgewatch: demo site: ${err instanceof Error ? err.message : String(err)}`);
      await stopAll(1);
    }
  }
  worker.process.on('exit', (code) => {
    if (stopping) return;
    step(`the Worker exited (${code}); see .edgewatch/worker.log`);
    void stopAll(1);
  });

  console.log(`
  Edgewatch is running.

    Dashboard   ${url}
    API docs    ${url}/docs
    Email       ${seed.email}
    Password    ${seed.password}
    API key     ${seed.apiKey}

  Try:    curl -H "Authorization: Bearer ${seed.apiKey}" ${url}/v1/devices
  Agent:  npx edgewatch-agent status --config .edgewatch/agent.json
  Webhooks: ALLOW_PRIVATE_WEBHOOKS is set, so channels may post to receivers on this machine
          (http://127.0.0.1:…); a deployed Worker refuses private and loopback targets.
  Credentials are in .edgewatch/local.json (mode 0600). Press Ctrl-C to stop.
${
  args.demoSite
    ? `
  Demo site: "${DEMO_SITE_NAME}" at ${url}/sites (values within about a minute).
`
    : ''
}`);
}

/** Enrolls once per database and URL; records the state folder in the config either way (no token spent). */
async function enrollIfNeeded(url: string, seed: Seed) {
  const existing = await readJson<{ url?: string; deviceId?: string; spoolDir?: string }>(AGENT_CONFIG);
  const enrolled = Boolean(existing?.deviceId) && existing?.url === url;
  if (enrolled && existing?.spoolDir === AGENT_STATE) return;
  if (!enrolled) step(`enrolling this host (${hostname()})`);
  const args = ['enroll', '--url', url, '--token', seed.enrollmentToken, '--name', hostname()];
  args.push('--config', AGENT_CONFIG, '--spool-dir', AGENT_STATE, ...(enrolled ? [] : ['--force']));
  const child = spawnAgent(args, join(STATE, 'agent.log'));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`agent enrollment failed (exit ${code}); see .edgewatch/agent.log`);
}

function spawnAgent(args: string[], logFile: string, env?: Record<string, string>): ChildProcess {
  // Own process group: Ctrl-C reaches only this script, which stops the agent once, cleanly.
  const child = spawn(process.execPath, [AGENT, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

main().catch((err: unknown) => {
  console.error(`edgewatch: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
