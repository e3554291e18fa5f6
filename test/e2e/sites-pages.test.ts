import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall } from './seed-fleet.ts';
import {
  addController,
  createSite,
  enrollGateway,
  healthSamples,
  ingestPoints,
  type PointReading,
} from './seed-site.ts';
import { until } from './wait.ts';
import { openSignedIn, openWatched, settle, visit, type WatchedPage } from './watched-page.ts';

/**
 * Issue 13's dashboard pages in real Chromium against a real local platform, seeded through the
 * public API as an integrator and a gateway would: the site list and page with the controllers'
 * status, the points table (values, auto/manual, range, the type filter, a value arriving over
 * the stream), a point's three years read through the daily rollups, and the trend-log editor
 * (created, a field error beside its field, and read-only for a viewer).
 */

const DAY = 86_400_000;
const AHU = 1001;
const BOILER = 1002;

let platform: LocalPlatform;
let browser: Browser;
let watched: WatchedPage;
let gateway: EnrollResponse;
let siteId: string;
let ahuId: string;
let boilerId: string;

const goto = (path: string): Promise<Page> => visit(watched.page, `${platform.url}${path}`);
const pointRow = (page: Page, controllerId: string, point: string) =>
  page.locator(`[data-testid="point-row"][data-controller="${controllerId}"][data-point="${point}"]`);

/** Three years of one reading a day for the AHU's IN1, ending yesterday: 20 + (day mod 10) °C. */
function threeYears(now: number): PointReading[] {
  const today = now - (now % DAY);
  return Array.from({ length: 3 * 365 }, (_, i) => ({
    controller: AHU,
    point: 'IN1',
    ts: today - (3 * 365 - i) * DAY + 12 * 3_600_000,
    value: 20 + (i % 10),
  }));
}

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform({ testScheduled: true });
  browser = await launchBrowser();
  // Default retention (raw 30 days, minutes 90, hours 730): backfilled years still reach the
  // daily rollups (the cron rolls old data up before it sweeps the finer levels).
  siteId = await createSite(platform, {
    name: 'Main building',
    address: 'Bahnhofstrasse 1',
    timeZone: 'Europe/Zurich',
  });
  gateway = await enrollGateway(platform, siteId, 'gw-basement');
  ahuId = await addController(platform, siteId, {
    serial: AHU,
    ip: '192.168.1.20',
    label: 'AHU 1',
    gatewayDeviceId: gateway.deviceId,
  });
  boilerId = await addController(platform, siteId, {
    serial: BOILER,
    ip: '192.168.1.21',
    label: 'Boiler',
    gatewayDeviceId: gateway.deviceId,
  });
  const now = Date.now();
  await ingestPoints(platform, gateway.deviceToken, 'history', threeYears(now));
  await ingestPoints(
    platform,
    gateway.deviceToken,
    'now',
    [
      { controller: AHU, point: 'IN1', ts: now - 1000, value: 21.5, range: 3, manual: false, digital: false },
      { controller: AHU, point: 'IN2', ts: now - 1000, value: 45, range: 27, manual: false, digital: false },
      { controller: AHU, point: 'OUT1', ts: now - 1000, value: 1, range: 1, manual: true, digital: true },
      { controller: AHU, point: 'VAR1', ts: now - 1000, value: 22, range: 1, manual: false, digital: false },
      { controller: BOILER, point: 'IN1', ts: now - 1000, value: 60.25, range: 3, manual: false, digital: false },
    ],
    [...healthSamples(AHU, true, now - 1000), ...healthSamples(BOILER, false, now - 1000)],
  );
  // The hub flushes 1-minute rollups to D1 within seconds; each cron run then builds hours and days.
  const series = await adminCall<{ series: { id: string; labels: Record<string, string> }[] }>(
    platform,
    'GET',
    `/v1/series?device=${gateway.deviceId}&metric=t3_point_value&label=controller=${AHU},point=IN1`,
  );
  const seriesId = series.series[0]!.id;
  await until(
    'three years of daily rollups of IN1',
    async () => {
      await fetch(`${platform.url}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
      const q = `series=${seriesId}&from=${now - 3 * 365 * DAY - DAY}&to=${now}&step=1d`;
      const h = await adminCall<{ source: string; series: { points: unknown[] }[] }>(
        platform,
        'GET',
        `/v1/history?${q}`,
      );
      return h.source === '1d' && (h.series[0]?.points.length ?? 0) >= 3 * 365 ? true : undefined;
    },
    90_000,
  );
  // The editors' refused saves (a bad interval, a bad time zone, a serial taken) are deliberate.
  watched = await openSignedIn(browser, platform, {
    expectedRefusals: [/\/v1\/trend-logs$/, /\/v1\/sites\/site_[^/]+(\/controllers)?$/],
  });
});

afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await platform?.stop();
});

describe('the site pages', () => {
  it('lists the site with its time zone, gateway and controllers counted by status', async () => {
    const page = await goto('/sites');
    const row = page.locator(`[data-testid="site-row"][data-id="${siteId}"]`);
    expect(await row.textContent()).toContain('Main building');
    expect(await row.textContent()).toContain('Europe/Zurich');
    expect(await row.getByTestId('site-gateways').textContent()).toContain('gw-basement');
    expect(await row.getByTestId('site-controllers').textContent()).toBe('2 (1 online, 1 offline)');
    expect(await page.getByTestId('site-new').count()).toBe(1);
    await row.getByTestId('site-link').click();
    await page.getByTestId('site-page').waitFor();
    expect(page.url()).toBe(`${platform.url}/sites/${siteId}`);
  });

  it("shows the controllers with their gateway's status and address", async () => {
    const page = await goto(`/sites/${siteId}`);
    const ahu = page.locator(`[data-testid="controller-row"][data-serial="${AHU}"]`);
    const boiler = page.locator(`[data-testid="controller-row"][data-serial="${BOILER}"]`);
    expect(await ahu.getByTestId('controller-status').getAttribute('data-status')).toBe('online');
    expect(await boiler.getByTestId('controller-status').getAttribute('data-status')).toBe('offline');
    expect(await ahu.getByTestId('controller-last-read').textContent()).not.toBe('never');
    expect(await ahu.textContent()).toContain('192.168.1.20:502');
    expect(await page.getByTestId('site-gateway-link').getAttribute('href')).toBe(`/devices/${gateway.deviceId}`);
  });

  it('shows each point with its value and unit, auto/manual, analog/digital and range', async () => {
    const page = await goto(`/sites/${siteId}`);
    const in1 = pointRow(page, ahuId, 'IN1');
    expect(await in1.getByTestId('point-value').textContent()).toBe('21.5 °C');
    expect(await in1.getByTestId('point-mode').textContent()).toBe('auto');
    expect(await in1.getByTestId('point-kind').textContent()).toBe('analog');
    expect(await in1.getByTestId('point-range').textContent()).toBe('10K Type2 °C (3)');
    const out1 = pointRow(page, ahuId, 'OUT1');
    expect(await out1.getByTestId('point-value').textContent()).toBe('On');
    expect(await out1.getByTestId('point-mode').textContent()).toBe('manual');
    expect(await out1.getByTestId('point-range').textContent()).toBe('Off/On (1)');
    expect(await pointRow(page, ahuId, 'IN2').getByTestId('point-value').textContent()).toBe('45 %RH');
    expect(await pointRow(page, boilerId, 'IN1').getByTestId('point-value').textContent()).toBe('60.25 °C');
  });

  it('narrows the rows by type, by text and by controller, keeping the filter in the address', async () => {
    const page = await goto(`/sites/${siteId}`);
    expect(await page.getByTestId('point-row').count()).toBe(5);
    await page.getByTestId('points-type-OUT').click();
    await expect.poll(() => page.getByTestId('point-row').count()).toBe(1);
    expect(await page.getByTestId('point-row').getAttribute('data-point')).toBe('OUT1');
    expect(page.url()).toContain('type=OUT');
    await page.getByTestId('points-type-IN').click();
    await expect.poll(() => page.getByTestId('point-row').count()).toBe(3);
    await page.getByTestId('points-text').fill('%RH');
    await expect.poll(() => page.getByTestId('point-row').count()).toBe(1);
    await page.getByTestId('points-text').fill('');
    await page.getByTestId('points-controller').selectOption(boilerId);
    await expect.poll(() => page.getByTestId('point-row').count()).toBe(1);
    expect(await page.getByTestId('point-row').getAttribute('data-controller')).toBe(boilerId);
    await page.reload();
    await settle(page);
    expect(await page.getByTestId('point-row').count()).toBe(1);
  });

  it('shows a value and a flag the gateway ships while the page is open, over the stream, without a reload', async () => {
    const page = await goto(`/sites/${siteId}`);
    await expect
      .poll(() => page.getByTestId('stream-state').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('live');
    await page.evaluate(`window.__sameDocument = true`);
    const requests: string[] = [];
    page.on('request', (req) => requests.push(new URL(req.url()).pathname));
    expect(await pointRow(page, ahuId, 'IN1').getByTestId('point-mode').textContent()).toBe('auto');
    // An operator switched IN1 to manual at the controller: the gateway's next flag read ships it.
    await ingestPoints(platform, gateway.deviceToken, 'live', [
      { controller: AHU, point: 'IN1', ts: Date.now(), value: 23.75, manual: true },
    ]);
    const value = pointRow(page, ahuId, 'IN1').getByTestId('point-value');
    await expect.poll(() => value.textContent(), { timeout: 15_000 }).toBe('23.75 °C');
    await expect.poll(() => pointRow(page, ahuId, 'IN1').getByTestId('point-mode').textContent()).toBe('manual');
    expect(await page.evaluate<boolean>('window.__sameDocument === true')).toBe(true);
    expect(
      requests.filter((p) => p.includes('/points')),
      'no points request: the value came by stream',
    ).toEqual([]);
  });

  it('renames a point and overrides its unit in place, through the points API', async () => {
    const page = await goto(`/sites/${siteId}?type=VAR`);
    const row = pointRow(page, ahuId, 'VAR1');
    await row.getByTestId('point-edit').click();
    await row.getByTestId('point-label-input').fill('Room setpoint');
    await row.getByTestId('point-unit-input').fill('K');
    await row.getByTestId('point-save').click();
    await expect.poll(() => row.getByTestId('point-label').textContent()).toBe('Room setpoint');
    expect(await row.getByTestId('point-value').textContent()).toBe('22 K');
    const answer = await adminCall<{ points: { point: string; label: string | null; unit: string | null }[] }>(
      platform,
      'GET',
      `/v1/controllers/${ahuId}/points?type=VAR`,
    );
    expect(answer.points.find((p) => p.point === 'VAR1')).toMatchObject({ label: 'Room setpoint', unit: 'K' });
  });

  it("draws a point's three years from the daily rollups (step=1d)", async () => {
    const page = watched.page;
    const history: URL[] = [];
    const record = (req: { url(): string }) => {
      const url = new URL(req.url());
      if (url.pathname === '/v1/history') history.push(url);
    };
    page.on('request', record);
    try {
      await goto(`/sites/${siteId}/points/${ahuId}/IN1`);
      await page.getByTestId('range-3y').click();
      const chart = page.getByTestId('chart-point');
      await chart.getByTestId('time-chart').waitFor({ timeout: 20_000 });
      const asked = await until('a 3-year history request', () =>
        history.find((u) => u.searchParams.get('step') === String(DAY)),
      );
      expect(Number(asked.searchParams.get('to')) - Number(asked.searchParams.get('from'))).toBe(3 * 365 * DAY);
      await expect
        .poll(async () => Number(await chart.getByTestId('time-chart').getAttribute('data-points')))
        .toBeGreaterThanOrEqual(3 * 365);
      expect(await chart.getByTestId('chart-source').textContent()).toContain('1d rollup');
      expect(page.url()).toContain('range=3y');
    } finally {
      page.off('request', record);
    }
  });
});

describe('the trend-log editor', () => {
  let trendLogId: string;

  it('shows the API refusal beside its field, then creates the trend log with all IN points of a controller, a raw register and a BACnet object', async () => {
    // A controller with a BACnet device, entered by hand: the only one the BACnet rows offer.
    const ahu2 = await adminCall<{ id: string }>(platform, 'POST', `/v1/sites/${siteId}/controllers`, {
      serial: 1003,
      ip: '192.168.1.22',
      label: 'AHU 2',
      bacnetInstance: 1003,
      gatewayDeviceId: gateway.deviceId,
    });
    const page = await goto('/trend-logs/new');
    await page.getByTestId('trend-log-name').fill('AHU temperatures');
    await page.getByTestId('trend-log-intervalSeconds').fill('0');
    expect(await page.getByTestId('trend-log-site').inputValue()).toBe(siteId);
    const ahu = page.locator(`[data-testid="picker-controller"][data-id="${ahuId}"]`);
    await ahu.getByTestId('picker-all-IN').click();
    await page.getByTestId('register-add').click();
    const reg = page.getByTestId('register-row');
    await reg.locator('select').first().selectOption(ahuId);
    await reg.getByTestId('register-address').fill('100');
    await reg.getByTestId('register-type').selectOption('FLOAT32');
    await reg.getByTestId('register-name').fill('supply_flow');
    await page.getByTestId('bacnet-add').click();
    const bacnet = page.getByTestId('bacnet-row');
    expect(await bacnet.locator('select option').allTextContents()).toEqual(['AHU 2 (device 1003)']);
    await bacnet.getByTestId('bacnet-object').fill('analog-input:3');
    await page.getByTestId('trend-log-save').click();

    const fieldError = page.getByTestId('error-intervalSeconds');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/1|greater|least/);
    expect(await page.getByTestId('trend-log-intervalSeconds').getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toMatch(/\/trend-logs\/new$/);

    await page.getByTestId('trend-log-intervalSeconds').fill('60');
    await page.getByTestId('trend-log-save').click();
    await expect.poll(() => page.url()).toMatch(/\/trend-logs\/tlg_[A-Za-z0-9_-]+$/);
    trendLogId = page.url().split('/').pop()!;
    const stored = await adminCall<{
      name: string;
      siteId: string;
      intervalSeconds: number;
      points: { controllerId: string; point: string }[];
      registers: { controllerId: string; spec: Record<string, unknown> }[];
      bacnet: { controllerId: string; object: string }[];
    }>(platform, 'GET', `/v1/trend-logs/${trendLogId}`);
    expect(stored.bacnet).toEqual([{ controllerId: ahu2.id, object: 'analog-input:3' }]);
    expect(stored).toMatchObject({ name: 'AHU temperatures', siteId, intervalSeconds: 60 });
    expect(stored.points).toHaveLength(64);
    expect(stored.points.every((p) => p.controllerId === ahuId && p.point.startsWith('IN'))).toBe(true);
    expect(stored.registers).toEqual([
      { controllerId: ahuId, spec: { name: 'supply_flow', register: 'holding', address: 100, type: 'FLOAT32' } },
    ]);
    await settle(page);
    expect(await page.getByTestId('trend-log-name').inputValue()).toBe('AHU temperatures');
    const list = await goto('/trend-logs');
    expect(await list.locator(`[data-testid="trend-log-row"][data-id="${trendLogId}"]`).textContent()).toContain(
      'AHU temperatures',
    );
  });

  it('shows a viewer the site and the trend log without any control to change them', async () => {
    const invitation = await adminCall<{ url: string }>(platform, 'POST', '/v1/invitations', {
      email: 'viewer@example.test',
      role: 'viewer',
    });
    const token = invitation.url.split('/invite/')[1]!;
    const viewer = await openWatched(browser);
    try {
      await viewer.page.goto(`${platform.url}/health`);
      const status = await viewer.page.evaluate<number>(
        `fetch('/v1/invitations/${token}/accept', { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ password: 'a passphrase for the viewer', name: 'A viewer' }) }).then((r) => r.status)`,
      );
      expect(status).toBe(200);
      await viewer.page.evaluate(`localStorage.setItem('edgewatch.signedIn', '1')`);
      const page = await visit(viewer.page, `${platform.url}/sites`);
      expect(await page.getByTestId('site-row').count()).toBe(1);
      expect(await page.getByTestId('site-new').count()).toBe(0);
      await visit(page, `${platform.url}/sites/${siteId}`);
      expect(await page.getByTestId('point-row').count()).toBe(5);
      expect(await page.getByTestId('site-edit').count()).toBe(0);
      expect(await page.getByTestId('controller-form').count()).toBe(0);
      expect(await page.getByTestId('point-edit').count()).toBe(0);
      await visit(page, `${platform.url}/trend-logs`);
      expect(await page.getByTestId('trend-log-row').count()).toBe(1);
      expect(await page.getByTestId('trend-log-new').count()).toBe(0);
      await visit(page, `${platform.url}/trend-logs/${trendLogId}`);
      await page.getByTestId('trend-log-read-only').waitFor();
      expect(await page.getByTestId('trend-log-save').count()).toBe(0);
      expect(await page.getByTestId('trend-log-delete').count()).toBe(0);
      expect(await page.getByTestId('register-add').count()).toBe(0);
      expect(await page.getByTestId('picker-all-IN').count()).toBe(0);
      expect(viewer.problems).toEqual([]);
    } finally {
      await viewer.context.close();
    }
  });

  it('left the console, the network and the CSP clean', async () => {
    expect(watched.problems).toEqual([]);
    expect(await watched.cspViolations()).toEqual([]);
  });
});

describe('creating and changing a site', () => {
  it('creates a site from the list, marks a bad time zone and a taken serial beside their fields, adds a controller by hand', async () => {
    const page = await goto('/sites');
    await page.getByTestId('site-new').click();
    await page.getByTestId('site-name').fill('Annex');
    await page.getByTestId('site-timeZone').fill('Europe/Zurich');
    await page.getByTestId('site-save').click();
    await page.getByTestId('site-page').waitFor();
    await expect.poll(() => page.url()).toMatch(/\/sites\/site_[A-Za-z0-9_-]+$/);
    const id = page.url().split('/').pop()!;
    expect(await adminCall<{ name: string; timeZone: string }>(platform, 'GET', `/v1/sites/${id}`)).toMatchObject({
      name: 'Annex',
      timeZone: 'Europe/Zurich',
    });
    await settle(page);
    await page.getByTestId('site-edit').click();
    await page.getByTestId('site-timeZone').fill('Mars/Olympus');
    await page.getByTestId('site-save').click();
    await page.getByTestId('error-timeZone').waitFor();
    expect(await page.getByTestId('site-timeZone').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('site-timeZone').fill('Europe/Berlin');
    await page.getByTestId('site-address').fill('Gleis 3');
    await page.getByTestId('site-save').click();
    await expect.poll(() => page.getByTestId('site-facts').textContent()).toContain('Europe/Berlin');
    expect(await page.getByTestId('site-facts').textContent()).toContain('Gleis 3');

    // A serial already in the organisation is refused beside its field; a new one is listed, unknown until a gateway reports.
    await page.getByTestId('controller-add').click();
    await page.getByTestId('controller-serial').fill(String(AHU));
    await page.getByTestId('controller-ip').fill('10.0.0.5');
    await page.getByTestId('controller-save').click();
    await page.getByTestId('error-serial').waitFor();
    await page.getByTestId('controller-serial').fill('2001');
    await page.getByTestId('controller-save').click();
    const added = page.locator('[data-testid="controller-row"][data-serial="2001"]');
    await added.waitFor();
    expect(await added.getByTestId('controller-status').getAttribute('data-status')).toBe('unknown');
    expect(await added.textContent()).toContain('10.0.0.5:502');
    expect(watched.problems).toEqual([]);
  });
});
