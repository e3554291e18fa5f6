import AxeBuilder from '@axe-core/playwright';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { CHART_SPECS } from '../../workers/dashboard/src/pages/device/chart-specs.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOSTILE = '<img src=x onerror=alert(1)>';

let platform: LocalPlatform;
let browser: Browser;
let host: EnrollResponse;

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.seed.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

let batch = 0;
async function ingest(samples: { metric: string; ts: number; value: number; labels?: Record<string, string> }[]) {
  for (let i = 0; i < samples.length; i += 4000) {
    const res = await fetch(`${platform.url}/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${host.deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batchId: `devpage-${batch++}`, samples: samples.slice(i, i + 4000) }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
}

/** Label values for a spec's split labels, two lines each where the split is by something countable. */
const labelSets = (splitBy: readonly string[] = []): Record<string, string>[] =>
  splitBy.length === 0
    ? [{}]
    : ['a', 'b'].map((v) => Object.fromEntries(splitBy.map((name) => [name, `${name}-${v}`])));

/** `expect.poll` for hooks, where vitest does not allow it. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(500);
  }
}

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform({ testScheduled: true });
  browser = await launchBrowser();
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform.seed.enrollmentToken, name: 'db-01', agentVersion: '0.1.0' }),
  });
  host = (await res.json()) as EnrollResponse;

  // Ten minutes of every collector's metrics, every 10 s, except the certificate, which last
  // reported two days ago: its chart has no data in a short range and must stay hidden.
  const now = Date.now();
  const recent = CHART_SPECS.filter((s) => s.id !== 'probe-cert').flatMap((spec) =>
    spec.metrics.flatMap((metric) =>
      labelSets(spec.splitBy).flatMap((labels) =>
        Array.from({ length: 60 }, (_, i) => ({ metric, labels, ts: now - 600_000 + i * 10_000, value: 10 + (i % 7) })),
      ),
    ),
  );
  // Hourly CPU for 29 days, so 30 d is answered from the hourly rollup.
  const old = Array.from({ length: 29 * 24 }, (_, i) => ({
    metric: 'cpu_usage_percent',
    ts: now - 29 * DAY + i * HOUR,
    value: 30 + (i % 24),
  }));
  const cert = [{ metric: 'probe_tls_cert_days_left', labels: { probe: 'probe-a' }, ts: now - 2 * DAY, value: 40 }];
  await ingest([...recent, ...old, ...cert]);

  // The hub flushes 1-minute rollups to D1 within seconds; the cron then builds the hours.
  const cpu = (await (await api('GET', `/v1/series?device=${host.deviceId}&metric=cpu_usage_percent`)).json()) as {
    series: { id: string }[];
  };
  await until(
    async () => {
      await fetch(`${platform.url}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
      const q = `series=${cpu.series[0]!.id}&from=${now - 30 * DAY}&to=${now}&step=1h`;
      const h = (await (await api('GET', `/v1/history?${q}`)).json()) as {
        source: string;
        series: { points: unknown[] }[];
      };
      return h.source === '1h' && (h.series[0]?.points.length ?? 0) > 600;
    },
    60_000,
    'the hourly rollup of 29 days of CPU never appeared',
  );
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

interface Opened {
  page: Page;
  context: BrowserContext;
  problems: string[];
  historyUrls: URL[];
}

/** Signs in (cookie), then opens `/devices/<id><query>` in a fresh context, recording what went wrong. */
async function openDevicePage(query = '', width = 1280): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const historyUrls: URL[] = [];
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`console error: ${msg.text()}`));
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname === '/v1/history') historyUrls.push(url);
  });
  await page.addInitScript({
    content: `window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  await page.goto(`${platform.url}/health`);
  const status = await page.evaluate(
    async ([email, password]) =>
      (
        await fetch('/v1/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        })
      ).status,
    [platform.seed.email, platform.seed.password],
  );
  expect(status).toBe(200);
  // What the sign-in form also does: tells the app this browser has a session (app/session.ts).
  await page.evaluate(`localStorage.setItem('edgewatch.signedIn', '1')`);
  await page.goto(`${platform.url}/devices/${host.deviceId}${query}`);
  await page
    .getByTestId('device-page')
    .waitFor({ timeout: 15_000 })
    .catch(async (err: unknown) => {
      throw new Error(`the device page did not open: ${String(err)}; ${problems.join('; ')}; ${await page.content()}`);
    });
  return { page, context, problems, historyUrls };
}

const chart = (page: Page, id: string) => page.getByTestId(`chart-${id}`);
const points = async (page: Page, id: string) =>
  Number(await chart(page, id).getByTestId('time-chart').getAttribute('data-points'));

describe('device page', () => {
  it('shows the info bar and a chart with data for every collector, hiding a chart with none in range', async () => {
    const { page, context, problems } = await openDevicePage();
    try {
      expect(await page.getByTestId('device-name').textContent()).toBe('db-01');
      expect(await page.getByTestId('device-status').textContent()).toBe('online');
      expect(await page.getByTestId('device-uptime').textContent()).toMatch(/min|h|d/);
      for (const spec of CHART_SPECS.filter((s) => s.id !== 'probe-cert')) {
        await expect.poll(() => points(page, spec.id), { timeout: 15_000 }).toBeGreaterThan(0);
      }
      expect(await chart(page, 'cpu').getByTestId('chart-source').textContent()).toMatch(/^raw/);
      // Two disks: the disk chart has a line for each mount.
      expect(await chart(page, 'disk').locator('.u-legend .u-series').count()).toBe(3);
      expect(await chart(page, 'probe-cert').count()).toBe(0);
      expect(new URL(page.url()).searchParams.get('range')).toBe('1h');
      expect(problems).toEqual([]);
      expect(await page.evaluate<string[]>('window.__csp')).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('appends live samples from the stream on a live range', async () => {
    const { page, context, problems } = await openDevicePage('?range=15m');
    try {
      await expect.poll(() => points(page, 'load'), { timeout: 15_000 }).toBeGreaterThan(0);
      const before = await points(page, 'load');
      // The stream subscription is set up after the page loads; keep sending until a point shows.
      await expect
        .poll(
          async () => {
            await ingest([{ metric: 'load1', ts: Date.now(), value: 3 }]);
            return points(page, 'load');
          },
          { timeout: 20_000, interval: 1000 },
        )
        .toBeGreaterThan(before);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('switches to 30 d: asks for hourly buckets, shows the 1h rollup, keeps the range in the URL', async () => {
    const { page, context, problems, historyUrls } = await openDevicePage();
    try {
      await page.getByTestId('range-30d').click();
      await expect
        .poll(() => chart(page, 'cpu').getByTestId('chart-source').textContent(), { timeout: 15_000 })
        .toBe('1h rollup · 1 h');
      const asked = historyUrls.filter((u) => u.searchParams.get('step') === String(HOUR));
      expect(asked.length).toBeGreaterThan(0);
      const span = Number(asked[0]!.searchParams.get('to')) - Number(asked[0]!.searchParams.get('from'));
      expect(span).toBe(30 * DAY);
      // 29 days of hourly points, drawn from the rollup.
      expect(await points(page, 'cpu')).toBeGreaterThan(29 * 24 - 10);
      expect(new URL(page.url()).searchParams.get('range')).toBe('30d');
      expect(await page.getByTestId('range-30d').getAttribute('aria-pressed')).toBe('true');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('reopens the same view from a deep link with ?range=7d', async () => {
    const { page, context, problems, historyUrls } = await openDevicePage('?range=7d');
    try {
      expect(await page.getByTestId('range-7d').getAttribute('aria-pressed')).toBe('true');
      await expect
        .poll(() => chart(page, 'cpu').getByTestId('chart-source').textContent(), { timeout: 15_000 })
        .toBe('1m rollup · 15 min');
      expect(historyUrls.length).toBeGreaterThan(0);
      expect(historyUrls.map((u) => u.searchParams.get('step'))).toEqual(historyUrls.map(() => String(15 * 60_000)));
      expect(new URL(page.url()).searchParams.get('range')).toBe('7d');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('zooms by dragging across a chart, then goes back to live', async () => {
    const { page, context, problems } = await openDevicePage('?range=1h');
    try {
      const over = chart(page, 'cpu').locator('.u-over');
      await over.waitFor();
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await expect.poll(() => new URL(page.url()).searchParams.get('range')).toMatch(/^\d+-\d+$/);
      const [from, to] = new URL(page.url()).searchParams.get('range')!.split('-').map(Number);
      expect(to! - from!).toBeLessThan(HOUR / 2);
      expect(await page.getByTestId('range-custom').getAttribute('aria-pressed')).toBe('true');
      await page.getByTestId('back-to-live').click();
      await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('1h');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('has no serious or critical accessibility violation', async () => {
    const { page, context } = await openDevicePage();
    try {
      await expect.poll(() => points(page, 'cpu'), { timeout: 15_000 }).toBeGreaterThan(0);
      const { violations } = await new AxeBuilder({ page }).analyze();
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renames the device, rendering a hostile name as text', async () => {
    const { page, context, problems } = await openDevicePage('', 390);
    try {
      await page.getByTestId('settings-name').fill(HOSTILE);
      await page.getByTestId('settings-tags').fill('prod, <b>db</b>');
      await page.getByTestId('settings-save').click();
      await expect.poll(() => page.getByTestId('device-name').textContent()).toBe(HOSTILE);
      expect(await page.getByTestId('device-tags').textContent()).toContain('<b>db</b>');
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(await page.locator('#app b').count()).toBe(0);
      const stored = (await (await api('GET', `/v1/devices/${host.deviceId}`)).json()) as { name: string };
      expect(stored.name).toBe(HOSTILE);
      // Usable at 390 px: nothing forces the page wider than the viewport.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the API's message next to a bad agent-config field", async () => {
    const expected = await api('PUT', `/v1/devices/${host.deviceId}/agent-config`, { intervals: { cpu: 0 } });
    expect(expected.status).toBe(400);
    const { error } = (await expected.json()) as { error: { message: string; field: string } };
    expect(error.field).toBe('intervals.cpu');

    const { page, context, problems } = await openDevicePage();
    try {
      await page.getByTestId('interval-cpu').fill('0');
      const answered = page.waitForResponse((r) => r.url().endsWith('/agent-config') && r.request().method() === 'PUT');
      await page.getByTestId('agent-config-save').click();
      expect((await answered).status()).toBe(400);
      const shown = page.getByTestId('error-intervals.cpu');
      await shown.waitFor();
      expect(await shown.textContent()).toBe(error.message);
      // Next to its field: inside the same label as the input.
      expect(
        await page
          .locator('label', { has: page.getByTestId('interval-cpu') })
          .getByRole('alert')
          .count(),
      ).toBe(1);
      expect(await page.getByTestId('interval-cpu').getAttribute('aria-invalid')).toBe('true');
      // The browser logs the deliberate 400; nothing else may fail.
      expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
