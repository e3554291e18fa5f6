import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { describeViolations, seriousViolations } from './axe.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { seedAlerts, type SeededAlerts } from './seed-alerts.ts';
import { enrollHost, hostSamples, ingest } from './seed-fleet.ts';
import { seedSite, type SeededSite } from './seed-site.ts';
import { openSignedIn, openWatched, settle, type WatchedPage } from './watched-page.ts';

/**
 * Issue 11's page-wide promises, checked on every route of the dashboard with real data:
 * axe-core finds no serious or critical violation, the Content-Security-Policy reports
 * nothing, the console stays clean, nothing overflows at 390 px and the keyboard reaches
 * the page's controls.
 */

let platform: LocalPlatform;
let browser: Browser;
let host: EnrollResponse;
let inviteToken: string;
let alerts: SeededAlerts;
let site: SeededSite;

/** Routes behind sign-in; `:id` is the seeded host. */
const SIGNED_IN = [
  '/',
  '/devices/:id?range=24h',
  '/events',
  '/add-host',
  '/org',
  '/members',
  '/sessions',
  '/audit',
  '/alerts',
  '/alerts/rules',
  '/alerts/rules/new',
  '/alerts/rules/:rule',
  '/incidents/:incident',
  '/silences',
  '/webhooks',
  '/webhooks/:webhook',
  '/sites',
  '/sites/:site',
  '/sites/:site/points/:controller/IN1',
  '/trend-logs',
  '/trend-logs/new',
  '/trend-logs/:trendLog',
] as const;

/** Routes for someone not signed in: they ask /v1/auth/me and get the deliberate 401. */
const PUBLIC = ['/', '/signup', '/invite/:token'] as const;
const SIGNED_OUT_REFUSALS = [/\/v1\/auth\/me$/];

const resolve = (route: string) =>
  route
    .replace(':id', host.deviceId)
    .replace(':token', inviteToken)
    .replace(':rule', alerts.ruleId)
    .replace(':incident', alerts.incidentId)
    .replace(':webhook', alerts.webhookId)
    .replace(':site', site.siteId)
    .replace(':controller', site.controllerIds[0]!)
    .replace(':trendLog', site.trendLogId);

/** Everything a route must satisfy once it has settled. */
async function checkRoute(watched: WatchedPage, route: string): Promise<void> {
  const { page, problems } = watched;
  const seen = problems.length;
  await page.goto(`${platform.url}${resolve(route)}`);
  await settle(page);
  expect(await page.locator('main').count(), `${route} has a main landmark`).toBeGreaterThan(0);
  const violations = await seriousViolations(page);
  expect(violations, `${route}\n${describeViolations(violations)}`).toEqual([]);
  expect(await watched.cspViolations(), `${route}: CSP violations`).toEqual([]);
  expect(problems.slice(seen), `${route}: console and network`).toEqual([]);
}

/** Width of the document beyond the viewport: a page usable at 390 px has none. */
const overflowX = (page: Page) =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

beforeAll(async () => {
  await buildDashboard();
  // The seeded webhook channel points at loopback, which only this setting allows.
  platform = await startLocalPlatform({ vars: { ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  browser = await launchBrowser();
  host = await enrollHost(platform, 'a11y-host-01');
  await ingest(platform, host.deviceToken, 'a11y-0', hostSamples(60));
  // Nothing listens there: the channel only has to exist for its pages.
  alerts = await seedAlerts(platform, host, 'http://127.0.0.1:9/hook');
  site = await seedSite(platform);
  // The invitation link is made the way an admin makes it, from a signed-in page.
  const admin = await openSignedIn(browser, platform);
  const invitation = await admin.page.evaluate<{ url: string }>(
    `fetch('/v1/invitations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'reader@example.test', role: 'viewer' }),
    }).then((r) => r.json())`,
  );
  inviteToken = invitation.url.split('/invite/')[1]!;
  await admin.context.close();
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('every page signed in', () => {
  let watched: WatchedPage;

  beforeAll(async () => {
    watched = await openSignedIn(browser, platform);
  });

  afterAll(async () => {
    await watched?.context.close();
  });

  it.each(SIGNED_IN)('%s: no serious axe violation, no CSP report, no console error', async (route) => {
    await checkRoute(watched, route);
  });
});

describe('every page signed out', () => {
  it.each(PUBLIC)('%s: no serious axe violation, no CSP report, no console error', async (route) => {
    const watched = await openWatched(browser, { expectedRefusals: SIGNED_OUT_REFUSALS });
    try {
      await checkRoute(watched, route);
    } finally {
      await watched.context.close();
    }
  });
});

describe('at 390 px wide, by keyboard', () => {
  let watched: WatchedPage;

  beforeAll(async () => {
    watched = await openSignedIn(browser, platform, { width: 390, height: 844 });
  });

  afterAll(async () => {
    await watched?.context.close();
  });

  it.each(SIGNED_IN)('%s: nothing wider than the screen, and Tab reaches a visible control', async (route) => {
    const { page } = watched;
    await page.goto(`${platform.url}${resolve(route)}`);
    await settle(page);
    expect(await page.locator('main').count(), `${route} has a main landmark`).toBeGreaterThan(0);
    expect(await overflowX(page), `${route} scrolls sideways`).toBeLessThanOrEqual(0);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<{ tag: string; visible: boolean }>(
      `(() => {
        const el = document.activeElement;
        const box = el?.getBoundingClientRect();
        return { tag: el?.tagName ?? '', visible: !!box && box.width > 0 && box.height > 0 };
      })()`,
    );
    expect(focused.tag, `${route}: Tab leaves the focus on the body`).not.toBe('BODY');
    expect(focused.visible, `${route}: the focused ${focused.tag} is invisible`).toBe(true);
  });
});
