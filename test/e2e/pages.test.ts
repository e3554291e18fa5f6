import AxeBuilder from '@axe-core/playwright';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/build.ts';
import { runInstallScript, SYSTEM_NODE, SYSTEM_PATH } from '../agent/helpers/install-script.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

/**
 * Issue 11 items 4–6 in real Chromium against a real local Worker: the events timeline, adding
 * a host with the real install.sh and agent, and the organisation page (API keys, retention).
 */

const XSS = '<img src=x onerror=window.__pwned=1>';
let platform: LocalPlatform;
let browser: Browser;
let context: BrowserContext;
let scratch: string;
let agent: ChildProcess | undefined;
let agentLog = '';
const problems: string[] = [];

const apiCall = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platform.seed.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
};

/** A page of the signed-in app, recording console errors, uncaught exceptions and CSP violations. */
async function open(path: string, deliberate?: RegExp): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every 4xx: the refusals a test provokes on purpose are expected.
    if (deliberate && /status of 4\d\d/.test(msg.text()) && deliberate.test(msg.location().url)) return;
    problems.push(`${path}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${path}: uncaught ${err.message}`));
  await page.addInitScript({
    content: `window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective));`,
  });
  await page.goto(`${platform.url}${path}`);
  return page;
}

async function checkPage(page: Page): Promise<void> {
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  expect(await page.evaluate('window.__csp')).toEqual([]);
  const axe = await new AxeBuilder({ page }).include('main').analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  expect(problems).toEqual([]);
}

beforeAll(async () => {
  await buildAll();
  platform = await startLocalPlatform();
  scratch = await mkdtemp(join(tmpdir(), 'edgewatch-pages-'));
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.url });
  // Signed in by the browser itself, so its cookie jar holds the session as after the form.
  const page = await context.newPage();
  await page.goto(`${platform.url}/index.html`);
  const status = await page.evaluate(
    `fetch('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' },
       body: ${JSON.stringify(JSON.stringify({ email: platform.seed.email, password: platform.seed.password }))} })
     .then((r) => r.status)`,
  );
  expect(status).toBe(200);
  // What the sign-in form also does: tells the app this browser has a session (app/session.ts).
  await page.evaluate(`localStorage.setItem('edgewatch.signedIn', '1')`);
  await page.close();
}, 240_000);

afterAll(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    agent.kill('SIGKILL');
    await once(agent, 'exit');
  }
  await browser?.close();
  await platform?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('events page', () => {
  it('shows the timeline, pages with load more, filters by type and correlation id in the URL, and follows live', async () => {
    for (let i = 0; i < 55; i++)
      expect((await apiCall('POST', '/v1/events', { type: 'custom.bulk' })).status).toBe(201);
    const deploy = await apiCall(
      'POST',
      '/v1/events',
      { type: 'custom.deploy', data: { note: XSS } },
      {
        'x-request-id': 'deploy-42',
      },
    );
    expect(deploy.status).toBe(201);

    const page = await open('/events', /\/v1\/events\?subject=org\.someone-else/);
    const rows = page.getByTestId('event-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(50);
    await page.getByTestId('events-more').click();
    // Signing in recorded a user.login event too.
    const total = (await apiCall('GET', '/v1/events?limit=1000')).json.events as unknown[];
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(total.length);
    expect(total.length).toBeGreaterThanOrEqual(56);
    expect(await page.getByTestId('events-more').count()).toBe(0);
    await expect.poll(() => page.getByText(XSS).count(), { timeout: 15_000 }).toBe(1);

    await page.getByTestId('events-filter-type').fill('custom.deploy');
    await page.getByTestId('events-apply').click();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect(new URL(page.url()).searchParams.get('type')).toBe('custom.deploy');

    // A deep link reopens the same view; a correlation id is a filter too.
    await page.goto(`${platform.url}/events?correlationId=deploy-42`);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect(await rows.first().getAttribute('data-type')).toBe('custom.deploy');

    await page.goto(`${platform.url}/events?type=custom.live`);
    await page.getByTestId('events-empty').waitFor();
    await page.getByTestId('events-live').check();
    await expect.poll(() => page.getByTestId('events-live-state').textContent(), { timeout: 15_000 }).toBe('live');
    expect((await apiCall('POST', '/v1/events', { type: 'custom.live' })).status).toBe(201);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect(await rows.first().textContent()).toContain('live');

    await checkPage(page);
    await page.goto(`${platform.url}/events?subject=org.someone-else.**`);
    await page.locator('#events-filter-subject-error').waitFor();
    await page.close();
  }, 120_000);
});

describe('add a host', () => {
  it('makes a token, and the host installed with it by the real install.sh shows up online', async () => {
    const page = await open('/add-host');
    await page.getByTestId('enroll-create').click();
    const token = (await page.getByTestId('enroll-token').textContent())!;
    expect(token).toMatch(/^ewe_/);
    const line = (await page.getByTestId('install-line').textContent())!;
    expect(line).toBe(`curl -fsSL ${platform.url}/install.sh | sudo sh -s -- --token ${token}`);
    expect(await page.getByTestId('install-mqtt').textContent()).toContain('EDGEWATCH_TRANSPORT=mqtt');
    await page.getByTestId('install-line-copy').click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(line);
    await page.getByTestId('new-devices-waiting').waitFor();

    const script = await (await fetch(`${platform.url}/install.sh`)).text();
    const prefix = join(scratch, 'root');
    const run = await runInstallScript(script, [
      '--prefix',
      prefix,
      '--no-systemd',
      '--token',
      token,
      '--name',
      'pages-host',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const env = { PATH: SYSTEM_PATH, HOME: scratch, EDGEWATCH_INTERVAL: '1' };
    agent = spawn(
      SYSTEM_NODE,
      [join(prefix, 'opt/edgewatch/edgewatch-agent.js'), 'run', '--config', join(prefix, 'etc/edgewatch/agent.json')],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    agent.stdout!.on('data', (d: Buffer) => (agentLog += d));
    agent.stderr!.on('data', (d: Buffer) => (agentLog += d));

    const arrived = page.getByTestId('new-device').filter({ hasText: 'pages-host' });
    await expect
      .poll(() => arrived.getAttribute('data-status').catch(() => null), { timeout: 60_000, message: agentLog })
      .toBe('online');
    expect(await arrived.locator('a').getAttribute('href')).toMatch(/^\/devices\/dev_/);

    // The single-use token is now used up; a second one can be revoked from the list (newest first).
    const usedRow = page.getByTestId('token-row').first();
    await expect.poll(() => usedRow.getByTestId('token-state').textContent()).toBe('used up or expired');
    const revocable = await page.getByTestId('token-revoke').count();
    await page.getByTestId('enroll-create').click();
    await expect.poll(() => page.getByTestId('token-revoke').count()).toBe(revocable + 1);
    await page.getByTestId('token-row').first().getByTestId('token-revoke').click();
    await expect
      .poll(() => page.getByTestId('token-row').first().getByTestId('token-state').textContent())
      .toBe('revoked');
    await checkPage(page);
    await page.close();
  }, 120_000);
});

describe('organisation page', () => {
  it('creates an API key that works once, shows it in the list, and saves retention with field errors', async () => {
    const page = await open('/org', /\/v1\/org\/settings$/);
    await page.getByTestId('key-name').fill(`grafana ${XSS}`);
    await page.getByTestId('key-create').click();
    const key = (await page.getByTestId('key-secret').textContent())!;
    expect(key).toMatch(/^ewk_/);
    const res = await fetch(`${platform.url}/v1/devices`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const row = page.getByTestId('key-row').filter({ hasText: 'grafana' });
    await expect.poll(() => row.textContent()).toContain(key.slice(0, 12));

    await page.getByTestId('retention-rawDays').fill('10');
    await page.getByTestId('retention-save').click();
    await page.getByTestId('retention-saved').waitFor();
    expect(((await apiCall('GET', '/v1/org/settings')).json.retention as { rawDays: number }).rawDays).toBe(10);
    await page.reload();
    await expect.poll(() => page.getByTestId('retention-rawDays').inputValue()).toBe('10');

    await page.getByTestId('retention-rollup1mDays').fill('5');
    await page.getByTestId('retention-save').click();
    const fieldError = page.locator('#retention-rollup1mDays-hint.field-error');
    await expect.poll(() => fieldError.textContent().catch(() => '')).toMatch(/rollup1mDays/);
    expect(await page.locator('.retention-form .field-error').count()).toBe(1);
    expect(
      ((await apiCall('GET', '/v1/org/settings')).json.retention as { rollup1mDays: number }).rollup1mDays,
    ).not.toBe(5);
    await checkPage(page);
    await page.close();
  }, 60_000);
});
