import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import type { DeviceView } from '../../schema/wire/telemetry.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

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

async function enroll(name: string): Promise<EnrollResponse> {
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform.seed.enrollmentToken, name, agentVersion: '0.1.0' }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as EnrollResponse;
}

/** `expect.poll` for hooks, where vitest does not allow it. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function devicesViaApi(): Promise<DeviceView[]> {
  const res = await fetch(`${platform.url}/v1/devices`, {
    headers: { authorization: `Bearer ${platform.seed.apiKey}` },
  });
  return ((await res.json()) as { devices: DeviceView[] }).devices;
}

interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and alert() calls seen so far. */
  problems: string[];
  cspViolations(): Promise<string[]>;
}

/** A fresh browser context (no cookies) at 1280×800, recording anything that went wrong. */
async function openDashboard(prepare?: (context: BrowserContext) => Promise<void>): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await prepare?.(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The browser logs every 4xx; a 401 from /me (signed out) or /login (wrong password) is the expected answer.
    const url = msg.location().url;
    if (/status of 401/.test(msg.text()) && /\/v1\/auth\/(me|login)$/.test(url)) return;
    problems.push(`console error: ${msg.text()} (${url})`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  // A string, because this file is type-checked without the DOM library.
  await page.addInitScript({
    content: `window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  await page.goto(platform.url);
  return {
    page,
    context,
    problems,
    cspViolations: () => page.evaluate<string[]>('window.__csp'),
  };
}

async function signIn(page: Page, password = platform.seed.password): Promise<void> {
  await page.getByTestId('login-email').fill(platform.seed.email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

const rowOf = (page: Page, name: string) => page.getByTestId('device-row').filter({ hasText: name });
const pointCount = async (page: Page) => Number(await page.getByTestId('cpu-chart').getAttribute('data-points'));

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
  hostile = await enroll(HOSTILE_NAME);
  host = await enroll(HOST_NAME);
  feeder.start();
  // The DeviceHub flushes last_seen to D1 within about a second of the first batch.
  await until(
    async () => (await devicesViaApi()).find((d) => d.id === host.deviceId)?.status === 'online',
    15_000,
    'the host never showed as online',
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

  it('selects the first online device by default, not the first row', async () => {
    const rows = page.getByTestId('device-row');
    expect(await rows.nth(0).getAttribute('data-device-id')).toBe(hostile.deviceId);
    await expect.poll(() => rowOf(page, HOST_NAME).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('device-title').textContent()).toBe(HOST_NAME);
  });

  it('draws a moving CPU chart: history first, then live samples from the stream', async () => {
    const sentBeforeSignIn = 2; // the device was online, so at least this many batches preceded the page
    await expect
      .poll(() => page.getByTestId('stream-state').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('live');
    expect(await page.getByTestId('stream-state').textContent()).toBe('Live');
    await expect.poll(() => pointCount(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(sentBeforeSignIn);

    const before = { points: await pointCount(page), value: await page.getByTestId('cpu-value').textContent() };
    expect(before.value).toMatch(/^\d+\.\d %$/);
    await expect.poll(() => pointCount(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(before.points + 4);
    await expect.poll(() => page.getByTestId('cpu-value').textContent(), { timeout: 15_000 }).not.toBe(before.value);

    // The chart holds every sample the agent sent in the window, as history and stream together.
    const shown = await pointCount(page);
    expect(shown).toBeGreaterThan(feeder.sent - 4);
    expect(shown).toBeLessThanOrEqual(feeder.sent + 1);
    expect(await page.locator('[data-testid="cpu-chart"] canvas').count()).toBe(1);
    expect(feeder.failures).toEqual([]);
  });

  it('renders a device name containing HTML as text and runs none of it', async () => {
    const row = rowOf(page, HOSTILE_NAME);
    expect(await row.locator('td.name').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('[data-testid="device-table"] img').count()).toBe(0);

    await row.click();
    await expect.poll(() => page.getByTestId('device-title').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.getByTestId('cpu-chart').getAttribute('data-points')).toBe('0');

    await rowOf(page, HOST_NAME).click();
    await expect.poll(() => pointCount(page), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(watched.problems.filter((p) => p.startsWith('dialog'))).toEqual([]);
  });

  it('looks right at 1280×800 (screenshot for review)', async () => {
    await expect.poll(() => pointCount(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(10);
    await sleep(1000);
    await page.screenshot({ path: SCREENSHOT });
    const box = await page.getByTestId('cpu-chart').boundingBox();
    expect(box?.width).toBeGreaterThan(400);
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
      await expect.poll(() => pointCount(page), { timeout: 15_000 }).toBeGreaterThan(0);

      await sockets[0]!.close({ code: 1012, reason: 'service restart' });
      await expect.poll(() => state.getAttribute('data-state'), { interval: 50 }).toBe('reconnecting');
      expect(await state.textContent()).toMatch(/^Reconnecting/);
      await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
      expect(sockets).toHaveLength(2);

      const after = await pointCount(page);
      await expect.poll(() => pointCount(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(after + 3);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
