import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import type { DeviceView } from '../../schema/wire/telemetry.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall, enrollHost } from './seed-fleet.ts';
import { until } from './wait.ts';
import { openWatched, signInWithForm, type WatchedPage } from './watched-page.ts';

const SCREENSHOT = '/tmp/edgewatch-dashboard.png';
const HOST_NAME = 'web-01';
/** A name an attacker might choose; it sorts before web-01 and never reports. */
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

let platform: LocalPlatform;
let browser: Browser;
let host: EnrollResponse;
let hostile: EnrollResponse;

/** Posts CPU samples for the host every 500 ms, the way an agent would, until stopped. */
const feeder = {
  sent: 0,
  failures: [] as string[],
  stopped: false,
  done: Promise.resolve(),
  start() {
    this.done = (async () => {
      while (!this.stopped) {
        const i = this.sent;
        // Consecutive values always differ, so the shown value visibly changes.
        const value = Math.round((20 + ((i * 7.3) % 60)) * 10) / 10;
        sentValues.add(`${value.toFixed(1)} %`);
        const res = await fetch(`${platform.url}/v1/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${host.deviceToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            batchId: `dash-${i}`,
            samples: [{ metric: 'cpu_usage_percent', ts: Date.now(), value }],
          }),
        }).catch((err: unknown) => err as Error);
        if (res instanceof Error || !res.ok) {
          this.failures.push(res instanceof Error ? res.message : `${res.status} ${await res.text()}`);
        } else this.sent += 1;
        await sleep(500);
      }
    })();
  },
};

/** A fresh context at 1280×800 on the platform's sign-in page, recording anything that went wrong. */
async function openDashboard(prepare?: (context: BrowserContext) => Promise<void>): Promise<WatchedPage> {
  // A 401 from /login (wrong password) is the expected answer. The app does not ask /me before
  // anyone signed in here, so a signed-out load logs no 401 at all.
  const watched = await openWatched(browser, { prepare, expectedRefusals: [/\/v1\/auth\/login$/] });
  await watched.page.goto(platform.url);
  return watched;
}

const signIn = (page: Page, password = platform.seed.password) => signInWithForm(page, platform.seed.email, password);
const devicesViaApi = async () => (await adminCall<{ devices: DeviceView[] }>(platform, 'GET', '/v1/devices')).devices;

const rowOf = (page: Page, name: string) => page.getByTestId('device-row').filter({ hasText: name });
/** The host's CPU cell as shown, e.g. "37.2 %". */
const cpuText = (page: Page) => rowOf(page, HOST_NAME).locator('[data-testid="cpu"] .meter-text').textContent();
/** Every CPU value the feeder sent, as the table formats it. */
const sentValues = new Set<string>();

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
  hostile = await enrollHost(platform, HOSTILE_NAME);
  host = await enrollHost(platform, HOST_NAME);
  feeder.start();
  // The DeviceHub flushes last_seen to D1 within about a second of the first batch.
  await until(
    'the host to show as online',
    async () => ((await devicesViaApi()).find((d) => d.id === host.deviceId)?.status === 'online' ? true : undefined),
    15_000,
  );
});

afterAll(async () => {
  feeder.stopped = true;
  await feeder.done;
  await browser?.close();
  await platform?.stop();
});

describe('dashboard sign-in', () => {
  it('shows an error and stays on the sign-in form when the password is wrong', async () => {
    const { page, context, problems } = await openDashboard();
    try {
      await signIn(page, 'not-the-password');
      const error = page.getByTestId('login-error');
      await error.waitFor({ state: 'visible' });
      expect(await error.textContent()).toBe('Email or password is wrong.');
      expect(await page.getByTestId('login-form').isVisible()).toBe(true);
      expect(await page.getByTestId('device-row').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('keeps the session across a reload and returns to the sign-in form after signing out', async () => {
    const { page, context, problems } = await openDashboard();
    try {
      await signIn(page);
      await rowOf(page, HOST_NAME).waitFor();
      await page.reload();
      await rowOf(page, HOST_NAME).waitFor();
      await page.getByTestId('sign-out').click();
      await page.getByTestId('login-form').waitFor();
      await page.reload();
      await page.getByTestId('login-form').waitFor();
      expect(await page.getByTestId('device-row').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('dashboard signed in', () => {
  let watched: WatchedPage;
  let page: Page;

  beforeAll(async () => {
    watched = await openDashboard();
    page = watched.page;
    await signIn(page);
    await rowOf(page, HOST_NAME).waitFor();
  });

  afterAll(async () => {
    await watched?.context.close();
  });

  it('lists each device with kind, status badge, last seen and agent version', async () => {
    const row = rowOf(page, HOST_NAME);
    await expect.poll(() => row.getByTestId('device-status').textContent(), { timeout: 15_000 }).toBe('online');
    expect(await row.getByTestId('device-status').getAttribute('class')).toContain('badge-online');
    expect(await row.locator('td.kind').textContent()).toBe('host');
    expect(await row.locator('td.seen').textContent()).toMatch(/^\d+ s ago$/);
    expect(await row.locator('td.agent').textContent()).toBe('0.1.0');
    const silent = rowOf(page, HOSTILE_NAME);
    expect(await silent.getByTestId('device-status').textContent()).toBe('offline');
    expect(await silent.locator('td.seen').textContent()).toBe('never');
  });

  it('orders devices by name and links each to its device page', async () => {
    const rows = page.getByTestId('device-row');
    expect(await rows.nth(0).getAttribute('data-device-id')).toBe(hostile.deviceId);
    expect(await rowOf(page, HOST_NAME).getByTestId('device-link').getAttribute('href')).toBe(
      `/devices/${host.deviceId}`,
    );
  });

  it('shows CPU first from the latest values, then live samples from the stream', async () => {
    await expect
      .poll(() => page.getByTestId('stream-state').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('live');
    expect(await page.getByTestId('stream-state').textContent()).toBe('Live');
    await expect.poll(() => cpuText(page), { timeout: 15_000 }).toMatch(/^\d+\.\d %$/);

    // Each batch carries a different value, so the cell changes several times without a reload.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await cpuText(page)) ?? '');
          return seen.size;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(4);
    // Every value shown is one the agent sent.
    for (const v of seen) expect(sentValues).toContain(v);
    expect(feeder.failures).toEqual([]);
  });

  it('renders a device name containing HTML as text and runs none of it', async () => {
    const row = rowOf(page, HOSTILE_NAME);
    expect(await row.locator('td.name').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('[data-testid="device-table"] img').count()).toBe(0);

    await row.getByTestId('device-link').click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/devices/${hostile.deviceId}`);
    expect(await page.locator('img').count()).toBe(0);

    await page.goBack();
    await rowOf(page, HOST_NAME).waitFor();
    await expect.poll(() => cpuText(page), { timeout: 15_000 }).toMatch(/^\d+\.\d %$/);
    expect(watched.problems.filter((p) => p.startsWith('dialog'))).toEqual([]);
  });

  it('looks right at 1280×800 (screenshot for review)', async () => {
    await page.getByTestId('summary').waitFor();
    await page.screenshot({ path: SCREENSHOT });
    const box = await page.getByTestId('device-table').boundingBox();
    expect(box?.width).toBeGreaterThan(900);
    expect((box?.y ?? 800) + (box?.height ?? 0)).toBeLessThanOrEqual(800);
  });

  it('logs no console errors and breaks no content security policy rule', async () => {
    expect(watched.problems).toEqual([]);
    expect(await watched.cspViolations()).toEqual([]);
  });
});

describe('dashboard live stream', () => {
  it('shows the dropped socket, reconnects on its own and keeps the chart moving', async () => {
    // Playwright relays the socket to the real /v1/stream, so the test can cut the page's side.
    const sockets: WebSocketRoute[] = [];
    const { page, context, problems } = await openDashboard((ctx) =>
      ctx.routeWebSocket(/\/v1\/stream$/, (ws) => {
        ws.connectToServer();
        sockets.push(ws);
      }),
    );
    try {
      await signIn(page);
      const state = page.getByTestId('stream-state');
      await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
      await expect.poll(() => cpuText(page), { timeout: 15_000 }).toMatch(/^\d+\.\d %$/);

      await sockets[0]!.close({ code: 1012, reason: 'service restart' });
      await expect.poll(() => state.getAttribute('data-state'), { interval: 50 }).toBe('reconnecting');
      expect(await state.textContent()).toMatch(/^Reconnecting/);
      await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
      expect(sockets).toHaveLength(2);

      // Values keep arriving over the new socket.
      const after = await cpuText(page);
      await expect.poll(() => cpuText(page), { timeout: 15_000 }).not.toBe(after);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
