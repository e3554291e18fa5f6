/**
 * `npm start -- --demo-site`'s site (scripts/local/demo-site.ts) against a real local platform:
 * the simulator and the gateway agent start, discovery reports the controllers, the trend log is
 * made, and the site page in Chromium shows live values within the 90 s the issue allows.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/build.ts';
import { DEMO_SITE_NAME, startDemoSite } from '../../scripts/local/demo-site.ts';
import { agentProcesses } from './agent-process.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { openSignedIn, visit, type WatchedPage } from './watched-page.ts';

let platform: LocalPlatform;
let browser: Browser;
let watched: WatchedPage;
const agents = agentProcesses();

beforeAll(async () => {
  await buildAll();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await agents.stopAll();
  await platform?.stop();
});

describe('the demo site', () => {
  it('shows a live simulated site in the dashboard within 90 s', async () => {
    const started = Date.now();
    const steps: string[] = [];
    await startDemoSite({
      url: platform.url,
      apiKey: platform.seed.apiKey,
      configPath: join(platform.dir, 'gateway.json'),
      spoolDir: 'gateway-state',
      spawnAgent: (args, _logFile, env) =>
        agents.spawn(args, { env: { ...env, STATE_DIRECTORY: join(platform.dir, 'state') } }),
      logFile: join(platform.dir, 'demo-site.log'),
      step: (m) => steps.push(m),
    });
    expect(steps.join('\n')).toContain('simulated T3000 controllers 1001, 1002, 1003');

    watched = await openSignedIn(browser, platform);
    const page = await visit(watched.page, `${platform.url}/sites`);
    await page.getByRole('link', { name: DEMO_SITE_NAME }).click();
    // A value in the points table: discovery, the trend log, the gateway's polls and the stream all worked.
    const value = page.locator('[data-testid="point-row"] [data-testid="point-value"]').filter({ hasText: /\d/ });
    await agents.until(
      'a live point value on the demo site page',
      async () => ((await value.count()) > 0 ? true : undefined),
      90_000 - (Date.now() - started),
    );
    const seconds = (Date.now() - started) / 1000;
    console.info(`demo site: first value on the site page ${seconds.toFixed(1)} s after it started`);
    expect(seconds).toBeLessThan(90);
    // Three controllers, found by discovery, online once polled.
    await expect.poll(() => page.locator('[data-testid="controller-row"]').count(), { timeout: 30_000 }).toBe(3);
    expect(watched.problems).toEqual([]);
  }, 180_000);
});
