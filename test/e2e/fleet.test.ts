import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceView } from '../../schema/wire/telemetry.ts';
import { buildAll } from '../../scripts/build.ts';
import { agentProcesses } from './agent-process.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall, enrollHost } from './seed-fleet.ts';
import { openWatched, signInWithForm } from './watched-page.ts';

const HOST = 'fleet-host';

let platform: LocalPlatform;
let browser: Browser;
const agents = agentProcesses();
let hostId = '';
let context: BrowserContext;
let page: Page;
let problems: string[];

const rowOf = (name: string) => page.getByTestId('device-row').filter({ hasText: name });
const names = () => page.locator('[data-testid="device-row"] td.name a').allTextContents();

beforeAll(async () => {
  await buildAll();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
  // Two silent devices, so sorting and filtering have something to reorder and hide.
  await enrollHost(platform, 'aa-silent');
  await enrollHost(platform, 'zz-silent');
  const config = `${platform.dir}/agent.json`;
  await agents.enroll(platform, HOST, config);
  agents.spawn(['run', '--config', config], { env: { EDGEWATCH_INTERVAL: '1' } });
  hostId = await agents.until('the agent host to be online', async () => {
    const { devices } = await adminCall<{ devices: DeviceView[] }>(platform, 'GET', '/v1/devices');
    return devices.find((d) => d.name === HOST && d.status === 'online')?.id;
  });

  ({ page, context, problems } = await openWatched(browser));
  await page.goto(platform.url);
  await signInWithForm(page, platform.seed.email, platform.seed.password);
  await rowOf(HOST).waitFor();
}, 180_000);

afterAll(async () => {
  await agents.stopAll();
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
