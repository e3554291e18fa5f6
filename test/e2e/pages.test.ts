import AxeBuilder from '@axe-core/playwright';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/build.ts';
import { runInstallScript, SYSTEM_NODE, SYSTEM_PATH } from '../agent/helpers/install-script.ts';
import { agentProcesses } from './agent-process.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { openSignedIn, type WatchedPage } from './watched-page.ts';

/**
 * Issue 11 items 4–6 in real Chromium against a real local Worker: the events timeline, adding
 * a host with the real install.sh and agent, and the organisation page (API keys, retention).
 */

const XSS = '<img src=x onerror=window.__pwned=1>';
let platform: LocalPlatform;
let browser: Browser;
let watched: WatchedPage;
let scratch: string;
const agents = agentProcesses();

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

/** The signed-in page at `path`. */
async function open(path: string): Promise<Page> {
  await watched.page.goto(`${platform.url}${path}`);
  return watched.page;
}

async function checkPage(page: Page): Promise<void> {
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
  expect(await watched.cspViolations()).toEqual([]);
  const axe = await new AxeBuilder({ page }).include('main').analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  expect(watched.problems).toEqual([]);
}

beforeAll(async () => {
  await buildAll();
  platform = await startLocalPlatform();
  scratch = await mkdtemp(join(tmpdir(), 'edgewatch-pages-'));
  browser = await launchBrowser();
  // The refusals the tests provoke on purpose: a pattern outside the organisation, a bad retention.
  watched = await openSignedIn(browser, platform, {
    width: 390,
    height: 844,
    expectedRefusals: [/\/v1\/events\?subject=org\.someone-else/, /\/v1\/org\/settings$/],
  });
  await watched.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.url });
}, 240_000);

afterAll(async () => {
  await agents.stopAll();
  await watched?.context.close();
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

    const page = await open('/events');
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
    agents.spawn(['run', '--config', join(prefix, 'etc/edgewatch/agent.json')], {
      node: SYSTEM_NODE,
      script: join(prefix, 'opt/edgewatch/edgewatch-agent.js'),
      env,
      inherit: false,
    });

    const arrived = page.getByTestId('new-device').filter({ hasText: 'pages-host' });
    await expect
      .poll(() => arrived.getAttribute('data-status').catch(() => null), { timeout: 60_000, message: agents.log() })
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
  }, 120_000);
});

describe('organisation page', () => {
  it('creates an API key that works once, shows it in the list, and saves retention with field errors', async () => {
    const page = await open('/org');
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
  }, 60_000);
});
