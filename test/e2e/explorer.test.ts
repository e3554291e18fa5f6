import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall, enrollHost, ingest, type Sample } from './seed-fleet.ts';
import { openSignedIn, type WatchedPage } from './watched-page.ts';

/**
 * The device page's metrics explorer and its counters, in Chromium against a real local Worker:
 * custom metrics sent through the API are found by metric and by label, plotted one and several
 * at a time with the aggregation asked for, and counters are drawn as per-second rates.
 */

const STEP = 10_000;
const POINTS = 720;

let platform: LocalPlatform;
let browser: Browser;
let host: EnrollResponse;
const ids: Record<string, string> = {};

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
  host = await enrollHost(platform, 'explorer-01');
  // Two hours every 10 s, on a grid that puts three points in any 30 s bucket (the 6 h step).
  const start = Math.floor(Date.now() / 30_000) * 30_000 - POINTS * STEP;
  const samples: Sample[] = [];
  for (let i = 0; i < POINTS; i++) {
    const ts = start + i * STEP;
    samples.push(
      // Any three successive points hold one 40 and two 10s: mean 20, max 40 in every bucket.
      { metric: 'app_queue_depth', labels: { queue: 'orders' }, ts, value: i % 3 === 0 ? 40 : 10 },
      { metric: 'app_queue_depth', labels: { queue: 'emails' }, ts, value: 7 },
    );
    if (i % 6 !== 0) continue;
    const minute = i / 6;
    samples.push(
      // 600 requests a minute; the service restarted 20 minutes ago and counted from zero again.
      {
        metric: 'app_requests_total',
        labels: { route: 'checkout' },
        ts,
        value: 600 * (minute < 100 ? minute + 1 : minute - 99),
      },
      // A collector's counter: 30 errors a minute.
      { metric: 'net_rx_errors_total', labels: { iface: 'eth0' }, ts, value: 30 * minute },
    );
  }
  await ingest(platform, host.deviceToken, 'explorer-1', samples);
  const { series } = await adminCall<{ series: { id: string; metric: string; labels: Record<string, string> }[] }>(
    platform,
    'GET',
    `/v1/series?device=${host.deviceId}`,
  );
  for (const s of series) ids[Object.values(s.labels)[0] ?? s.metric] = s.id;
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

type Opened = WatchedPage & { requests: URL[] };

/** The signed-in device page at `range`, recording every series search and history read. */
async function openExplorer(range: string): Promise<Opened> {
  const watched = await openSignedIn(browser, platform);
  const requests: URL[] = [];
  watched.page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname === '/v1/series' || url.pathname === '/v1/history') requests.push(url);
  });
  await watched.page.goto(`${platform.url}/devices/${host.deviceId}?range=${range}`);
  await watched.page.getByTestId('explorer').waitFor();
  return { ...watched, requests };
}

const results = (page: Page) => page.getByTestId('explorer-results').locator('code').allTextContents();

async function search(page: Page, metric: string, label: string): Promise<void> {
  await page.getByTestId('explorer-metric').fill(metric);
  await page.getByTestId('explorer-label').fill(label);
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/series');
  await page.getByRole('button', { name: 'Search' }).click();
  expect((await answered).status()).toBe(200);
}

const pick = (page: Page, name: string) =>
  page.getByTestId('explorer-results').locator('label', { hasText: name }).getByRole('checkbox').check();

/** The legend's lines as drawn at `x` (0..1 across the plot): label and value of each. */
async function legendAt(chart: Locator, x: number): Promise<string[]> {
  const over = chart.locator('.u-over');
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  await chart.page().mouse.move(box.x + box.width * x, box.y + box.height / 2);
  const lines = await chart
    .locator('.u-legend tr.u-series')
    .evaluateAll((trs) =>
      trs
        .slice(1)
        .map((tr) => `${tr.querySelector('.u-label')?.textContent} = ${tr.querySelector('.u-value')?.textContent}`),
    );
  return lines;
}

/**
 * Every value a chart's legend shows for its lines while the pointer sweeps across the plot, one
 * position per pixel: uPlot updates the legend as it handles each mousemove.
 */
async function sweep(chart: Locator): Promise<string[]> {
  const values = await chart.locator('.u-over').evaluate((over) => {
    const box = over.getBoundingClientRect();
    const legend = over.closest('.time-chart')!.querySelectorAll('.u-legend tr.u-series');
    const seen = new Set<string>();
    for (let x = 1; x < box.width; x++) {
      const move = { clientX: box.left + x, clientY: box.top + box.height / 2, bubbles: true };
      over.dispatchEvent(new over.ownerDocument.defaultView!.MouseEvent('mousemove', move));
      // The first row is the time axis.
      for (let i = 1; i < legend.length; i++) seen.add(legend[i]!.querySelector('.u-value')!.textContent ?? '');
    }
    return [...seen];
  });
  return values.filter((v) => v !== '–');
}

describe('metrics explorer', () => {
  it('lists the series no chart shows, and searches them by metric prefix and by label', async () => {
    const { page, context, problems, requests } = await openExplorer('1h');
    try {
      // Custom metrics, not the collector's counter, which has its own chart.
      expect((await results(page)).sort()).toEqual([
        'app_queue_depth{queue="emails"}',
        'app_queue_depth{queue="orders"}',
        'app_requests_total{route="checkout"}',
      ]);
      await search(page, 'app_queue', '');
      await expect
        .poll(async () => (await results(page)).sort())
        .toEqual(['app_queue_depth{queue="emails"}', 'app_queue_depth{queue="orders"}']);
      expect(requests.at(-1)!.searchParams.get('metric')).toBe('app_queue*');

      await search(page, '', 'queue=orders');
      await expect.poll(() => results(page)).toEqual(['app_queue_depth{queue="orders"}']);
      expect(requests.at(-1)!.searchParams.get('label')).toBe('queue=orders');
      expect(requests.at(-1)!.searchParams.has('metric')).toBe(false);

      await search(page, 'app_', 'route=nowhere');
      await expect.poll(() => page.getByTestId('explorer-empty').textContent()).toBe('No series match.');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('plots one series, then two, and redraws with the aggregation chosen', async () => {
    const { page, context, problems, requests } = await openExplorer('6h');
    try {
      const chart = page.getByTestId('chart-explorer');
      const history = () =>
        requests.filter((u) => u.pathname === '/v1/history' && u.searchParams.get('series')!.includes(ids.orders!));
      await search(page, 'app_queue', '');
      await pick(page, 'queue="orders"');
      await expect
        .poll(() => chart.getByTestId('time-chart').getAttribute('data-points'), { timeout: 15_000 })
        .not.toBeNull();
      expect(await chart.locator('h3').textContent()).toBe('Explorer (mean)');
      expect(history().at(-1)!.searchParams.get('series')).toBe(ids.orders);
      expect(history().at(-1)!.searchParams.get('agg')).toBe('mean');
      expect(history().at(-1)!.searchParams.get('step')).toBe('30000');
      await expect.poll(() => legendAt(chart, 0.9)).toEqual(['app_queue_depth{queue="orders"} = 20']);

      await pick(page, 'queue="emails"');
      await expect.poll(() => history().at(-1)!.searchParams.get('series')).toBe(`${ids.orders},${ids.emails}`);
      await expect
        .poll(() => legendAt(chart, 0.9), { timeout: 15_000 })
        .toEqual(['app_queue_depth{queue="orders"} = 20', 'app_queue_depth{queue="emails"} = 7']);

      await page.getByTestId('explorer-agg').selectOption('max');
      await expect.poll(() => chart.locator('h3').textContent()).toBe('Explorer (max)');
      await expect.poll(() => history().at(-1)!.searchParams.get('agg')).toBe('max');
      await expect
        .poll(() => legendAt(chart, 0.9), { timeout: 15_000 })
        .toEqual(['app_queue_depth{queue="orders"} = 40', 'app_queue_depth{queue="emails"} = 7']);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('draws counters as per-second rates, across a reset, in the explorer and in a collector chart', async () => {
    const { page, context, problems } = await openExplorer('1h');
    try {
      await pick(page, 'app_requests_total');
      const explorer = page.getByTestId('chart-explorer');
      await expect
        .poll(() => explorer.getByTestId('time-chart').getAttribute('data-points'), { timeout: 15_000 })
        .not.toBeNull();
      // 600 more a minute is 10/s at every point, the restart included: no drop, no negative rate.
      expect(await sweep(explorer)).toEqual(['10/s']);

      const errors = page.getByTestId('chart-net-errors');
      expect(await errors.locator('h3').textContent()).toBe('Network errors and drops');
      expect(await sweep(errors)).toEqual(['0.5/s']);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
