import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { seedAlerts, type SeededAlerts } from './seed-alerts.ts';
import { adminCall, enrollHost, ingest } from './seed-fleet.ts';
import { openSignedIn, visit, type WatchedPage } from './watched-page.ts';

/**
 * Whatever a device or an integrator sends is shown as text: names, tags, label values and
 * event data holding HTML and script neither run nor add elements, on the fleet page, the
 * device page and the events page.
 */

const IMG = '<img src=x onerror=window.__pwned=1>';
const SCRIPT = '<script>window.__pwned=1</script>';

let platform: LocalPlatform;
let browser: Browser;
let imgHost: EnrollResponse;
let scriptHost: EnrollResponse;
let watched: WatchedPage;
let alerts: SeededAlerts;

/** What a successful injection would leave behind in the page. */
async function injected(page: Page) {
  return page.evaluate<{ pwned: boolean; imgs: number; scripts: number }>(`({
    pwned: window.__pwned !== undefined,
    imgs: document.querySelectorAll('img[src="x"]').length,
    scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('__pwned')).length,
  })`);
}

const pageText = (page: Page) => page.evaluate<string>('document.body.innerText');

const open = (path: string): Promise<Page> => visit(watched.page, `${platform.url}${path}`);

beforeAll(async () => {
  await buildDashboard();
  // The seeded webhook channel points at loopback, which only this setting allows.
  platform = await startLocalPlatform({ vars: { ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  browser = await launchBrowser();
  imgHost = await enrollHost(platform, IMG);
  scriptHost = await enrollHost(platform, SCRIPT);
  await adminCall(platform, 'PATCH', `/v1/devices/${imgHost.deviceId}`, { tags: [IMG, SCRIPT] });
  const ts = Date.now() - 5_000;
  await ingest(platform, imgHost.deviceToken, 'xss-1', [
    { metric: 'cpu_usage_percent', ts, value: 12 },
    { metric: 'disk_used_percent', ts, value: 40, labels: { mount: IMG } },
    { metric: 'net_rx_bytes_per_second', ts, value: 1000, labels: { interface: SCRIPT } },
    { metric: 'custom_queue_depth', ts, value: 3, labels: { queue: IMG, owner: SCRIPT } },
  ]);
  await ingest(platform, scriptHost.deviceToken, 'xss-2', [
    { metric: 'cpu_usage_percent', ts, value: 20, labels: { note: SCRIPT } },
  ]);
  await adminCall(platform, 'POST', '/v1/events', { type: 'custom.xss', data: { note: IMG, other: SCRIPT } });
  alerts = await seedAlerts(platform, imgHost, 'http://127.0.0.1:9/hook', {
    ruleName: IMG,
    label: SCRIPT,
    note: SCRIPT,
    comment: IMG,
    webhookName: SCRIPT,
  });
  watched = await openSignedIn(browser, platform);
});

afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await platform?.stop();
});

describe('hostile text in the dashboard', () => {
  it('cannot reach the platform as a metric name: the API refuses it', async () => {
    const res = await fetch(`${platform.url}/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${imgHost.deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batchId: 'xss-metric', samples: [{ metric: IMG, ts: Date.now(), value: 1 }] }),
    });
    expect(res.status).toBe(400);
  });

  it('the fleet page shows the names and tags literally and runs none of them', async () => {
    const page = await open('/');
    await expect.poll(() => pageText(page), { timeout: 15_000 }).toContain(IMG);
    const text = await pageText(page);
    expect(text).toContain(SCRIPT);
    expect(await injected(page)).toEqual({ pwned: false, imgs: 0, scripts: 0 });
  });

  it('the device page shows the name, tags and label values literally and runs none of them', async () => {
    const page = await open(`/devices/${imgHost.deviceId}?range=1h`);
    await expect.poll(() => pageText(page), { timeout: 15_000 }).toContain(IMG);
    // The tag SCRIPT, and the label values of the disk and network charts.
    await expect.poll(() => pageText(page), { timeout: 15_000 }).toContain(SCRIPT);
    expect(await injected(page)).toEqual({ pwned: false, imgs: 0, scripts: 0 });

    const other = await open(`/devices/${scriptHost.deviceId}?range=1h`);
    await expect.poll(() => pageText(other), { timeout: 15_000 }).toContain(SCRIPT);
    expect(await injected(other)).toEqual({ pwned: false, imgs: 0, scripts: 0 });
  });

  it('the events page shows event data literally and runs none of it', async () => {
    const page = await open('/events');
    await expect.poll(() => pageText(page), { timeout: 15_000 }).toContain('custom.xss');
    const text = await pageText(page);
    expect(text).toContain(IMG);
    expect(await injected(page)).toEqual({ pwned: false, imgs: 0, scripts: 0 });
  });

  it('the alert pages show rule names, label values, notes and comments literally and run none of them', async () => {
    const pages: [string, string[]][] = [
      ['/alerts', [IMG, SCRIPT]],
      ['/alerts/rules', [IMG, SCRIPT]],
      [`/alerts/rules/${alerts.ruleId}`, [IMG]],
      [`/incidents/${alerts.incidentId}`, [IMG, SCRIPT]],
      ['/silences', [IMG]],
      ['/webhooks', [SCRIPT]],
      [`/webhooks/${alerts.webhookId}`, [SCRIPT]],
      [`/devices/${imgHost.deviceId}?range=1h`, [IMG, SCRIPT]],
    ];
    for (const [path, texts] of pages) {
      const page = await open(path);
      for (const text of texts)
        await expect.poll(() => pageText(page), { timeout: 15_000, message: path }).toContain(text);
      expect(await injected(page), path).toEqual({ pwned: false, imgs: 0, scripts: 0 });
    }
  });

  it('logged no console error, opened no dialog and broke no CSP rule', async () => {
    expect(watched.problems).toEqual([]);
    expect(await watched.cspViolations()).toEqual([]);
  });
});
