import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildAll } from '../../scripts/build.ts';
import { ROOT } from '../../scripts/local/wrangler.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { until } from './wait.ts';

const AGENT = join(ROOT, 'agent/dist/edgewatch-agent.js');
const HOST = 'fleet-host';

let platform: LocalPlatform;
let browser: Browser;
let agent: ChildProcess | undefined;
let agentLog = '';
let hostId = '';
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

function runAgent(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [AGENT, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (agentLog += d));
  child.stderr!.on('data', (d: Buffer) => (agentLog += d));
  return child;
}

async function enroll(name: string): Promise<EnrollResponse> {
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform.seed.enrollmentToken, name, agentVersion: '0.1.0' }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as EnrollResponse;
}

const rowOf = (name: string) => page.getByTestId('device-row').filter({ hasText: name });
const names = () => page.locator('[data-testid="device-row"] td.name a').allTextContents();

beforeAll(async () => {
  await buildAll();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
  // Two silent devices, so sorting and filtering have something to reorder and hide.
  await enroll('aa-silent');
  await enroll('zz-silent');
  const config = join(platform.dir, 'agent.json');
  const enrolling = runAgent([
    'enroll',
    '--url',
    platform.url,
    '--token',
    platform.seed.enrollmentToken,
    '--name',
    HOST,
    '--config',
    config,
  ]);
  const [code] = (await once(enrolling, 'exit')) as [number];
  expect(code, agentLog).toBe(0);
  agent = runAgent(['run', '--config', config], { EDGEWATCH_INTERVAL: '1' });
  hostId = await until(
    'the agent host to be online',
    async () => {
      const res = await fetch(`${platform.url}/v1/devices`, {
        headers: { authorization: `Bearer ${platform.seed.apiKey}` },
      });
      const { devices } = (await res.json()) as { devices: { id: string; name: string; status: string }[] };
      return devices.find((d) => d.name === HOST && d.status === 'online')?.id;
    },
    60_000,
    () => agentLog.slice(-3000),
  );

  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  await page.goto(platform.url);
  await page.getByTestId('login-email').fill(platform.seed.email);
  await page.getByTestId('login-password').fill(platform.seed.password);
  await page.getByTestId('login-submit').click();
  await rowOf(HOST).waitFor();
}, 180_000);

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill('SIGKILL');
    await once(agent, 'exit');
  }
  await context?.close();
  await browser?.close();
  await platform?.stop();
});

describe('fleet overview', () => {
  it('shows the summary strip from /v1/summary', async () => {
    // The boot message of index.html is gone once the app renders.
    expect(await page.locator('.boot').count()).toBe(0);
    await expect.poll(() => page.getByTestId('summary-online').locator('dd').textContent()).toBe('1');
    expect(await page.getByTestId('summary-offline').locator('dd').textContent()).toBe('2');
  });

  it("shows the agent's host with live values that change without a reload", async () => {
    const row = rowOf(HOST);
    expect(await row.getByTestId('device-status').textContent()).toBe('online');
    expect(await row.locator('td.agent').textContent()).toMatch(/^\d+\.\d+\.\d+/);
    const cpu = row.getByTestId('cpu');
    await expect.poll(() => cpu.getAttribute('data-value'), { timeout: 20_000 }).toMatch(/^\d/);
    await expect.poll(() => row.getByTestId('mem').getAttribute('data-value'), { timeout: 20_000 }).toMatch(/^\d/);
    expect(await row.locator('td.load').textContent()).toMatch(/^\d+\.\d+$/);
    expect(await row.locator('td.uptime').textContent()).toMatch(/\d+ [dhm]/);
    // The agent samples every second: the exact CPU value changes within a few samples.
    const first = await cpu.getAttribute('data-value');
    await expect.poll(() => cpu.getAttribute('data-value'), { timeout: 20_000 }).not.toBe(first);
    expect(await row.locator('.meter-fill').count()).toBeGreaterThanOrEqual(2);
    // Live values came over the stream: the page was never reloaded.
    expect(await page.getByTestId('stream-state').getAttribute('data-state')).toBe('live');
  });

  it('sorts by a column, both ways', async () => {
    expect(await names()).toEqual(['aa-silent', HOST, 'zz-silent']);
    await page.getByTestId('sort-name').click();
    await expect.poll(names).toEqual(['zz-silent', HOST, 'aa-silent']);
    await page.getByTestId('sort-status').click();
    await expect.poll(async () => (await names())[0]).toBe(HOST);
    expect(page.url()).toContain('sort=status');
    await page.getByTestId('sort-name').click();
    await expect.poll(names).toEqual(['aa-silent', HOST, 'zz-silent']);
  });

  it('filters by status and by text, and says when nothing matches', async () => {
    await page.getByTestId('filter-status').selectOption('online');
    await expect.poll(names).toEqual([HOST]);
    await page.getByTestId('filter-status').selectOption('');
    await page.getByTestId('fleet-search').fill('silent');
    await expect.poll(names).toEqual(['aa-silent', 'zz-silent']);
    await page.getByTestId('filter-kind').selectOption('gateway');
    await expect.poll(() => page.getByTestId('fleet-status').getAttribute('data-state')).toBe('filtered');
    await page.getByTestId('filter-kind').selectOption('');
    await page.getByTestId('fleet-search').fill('');
    await expect.poll(async () => (await names()).length).toBe(3);
  });

  it('opens the device page from its link, and back returns to the fleet', async () => {
    await rowOf(HOST).getByTestId('device-link').click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/devices/${hostId}`);
    expect(await page.getByTestId('device-row').count()).toBe(0);
    await page.goBack();
    await rowOf(HOST).waitFor();
  });

  it('loads the app on a deep link to /devices/<id>', async () => {
    await page.goto(`${platform.url}/devices/${hostId}?range=24h`);
    await page.getByTestId('nav-fleet').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/devices/${hostId}`);
    expect(await page.getByTestId('nav-fleet').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('nav-fleet').click();
    await rowOf(HOST).waitFor();
  });

  it('logs no console error', () => {
    expect(problems).toEqual([]);
  });
});
