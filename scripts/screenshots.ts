/**
 * `npm run screenshots`: builds the dashboard, starts a local Worker with a fresh org, feeds
 * it a host's last hour and a trickle of live samples, signs in in Chromium and saves every
 * page to docs/images/dashboard-<page>.png (1280×800, plus the fleet at 390 px), so
 * docs/dashboard.md shows the app as it is. Stops everything it started.
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildAll } from './build.ts';
import { ROOT } from './local/wrangler.ts';
import { launchBrowser } from '../test/e2e/browser.ts';
import { startLocalPlatform } from '../test/e2e/local-platform.ts';
import { seedAlerts } from '../test/e2e/seed-alerts.ts';
import { adminCall, enrollHost, hostSamples, ingest } from '../test/e2e/seed-fleet.ts';
import { seedSite } from '../test/e2e/seed-site.ts';
import { until } from '../test/e2e/wait.ts';
import { openWatched, settle, signInFromPage } from '../test/e2e/watched-page.ts';

const OUT = join(ROOT, 'docs/images');

/** Page name in the file name → route (`:id` is the first host, `:token` a fresh invitation). */
const SIGNED_IN: Array<[string, string]> = [
  ['fleet', '/'],
  ['device', '/devices/:id?range=1h'],
  ['events', '/events'],
  ['add-host', '/add-host'],
  ['org', '/org'],
  ['members', '/members'],
  ['sessions', '/sessions'],
  ['audit', '/audit'],
  ['alerts', '/alerts'],
  ['alert-rule', '/alerts/rules/:rule'],
  ['incident', '/incidents/:incident'],
  ['silences', '/silences'],
  ['webhook', '/webhooks/:webhook'],
  ['host-channel', '/webhooks/:hostChannel'],
  ['site', '/sites/:site'],
  ['trend-log', '/trend-logs/:trendLog'],
];
const SIGNED_OUT: Array<[string, string]> = [
  ['sign-in', '/'],
  ['signup', '/signup'],
  ['invite', '/invite/:token'],
];

async function main(): Promise<void> {
  await buildAll();
  // The seeded webhook channel points at a receiver on loopback, which only this setting allows.
  const platform = await startLocalPlatform({ vars: { ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  const browser = await launchBrowser().catch(async (err: unknown) => {
    await platform.stop();
    throw err;
  });
  let live: ReturnType<typeof setInterval> | undefined;
  // A webhook receiver on loopback, so the channel's page shows a delivered test.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  try {
    const hosts: Array<Awaited<ReturnType<typeof enrollHost>>> = [];
    for (const [i, name] of ['web-01', 'web-02', 'db-01'].entries()) {
      const host = await enrollHost(platform, name);
      await adminCall(platform, 'PATCH', `/v1/devices/${host.deviceId}`, { tags: i < 2 ? ['prod', 'web'] : ['prod'] });
      await ingest(platform, host.deviceToken, `shot-${i}-history`, hostSamples(60));
      hosts.push(host);
    }
    await adminCall(platform, 'POST', '/v1/events', { type: 'custom.deploy', data: { version: '1.4.2' } });
    const alerts = await seedAlerts(
      platform,
      hosts[0]!,
      `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/edgewatch`,
    );
    // A rule on the hosts' CPU, whose preview has an hour of history to show.
    const cpuRule = await adminCall<{ id: string }>(platform, 'POST', '/v1/alert-rules', {
      name: 'CPU busy',
      scope: { kind: 'tag', value: 'web' },
      metric: 'cpu_usage_percent',
      condition: { kind: 'threshold', op: '>', warning: { value: 45, clear: 40 }, critical: { value: 52, clear: 48 } },
      forMs: 120_000,
      repeatIntervalMs: 3_600_000,
    });
    const test = await adminCall<{ id: string }>(platform, 'POST', `/v1/webhooks/${alerts.webhookId}/test`);
    await until('the test delivery', async () => {
      const d = await adminCall<{ state: string }>(platform, 'GET', `/v1/deliveries/${test.id}`);
      return d.state === 'pending' ? undefined : d;
    });
    // Host notices for the web servers: each incident among them shows on all of them.
    const hostChannel = await adminCall<{ id: string }>(platform, 'POST', '/v1/webhooks', {
      name: 'Web operators',
      kind: 'host',
      filters: { tags: ['web'], severities: ['critical'] },
    });
    const site = await seedSite(platform);
    let n = 0;
    // Live values keep arriving while the pages are shot, as from running agents.
    live = setInterval(() => {
      n += 1;
      for (const [i, host] of hosts.entries()) {
        void ingest(platform, host.deviceToken, `shot-${i}-live-${n}`, hostSamples(0)).catch(() => undefined);
      }
    }, 2000);

    await mkdir(OUT, { recursive: true });
    const admin = await openWatched(browser, { expectedRefusals: [/\/v1\/auth\/me$/] });
    await admin.page.goto(platform.url);
    await settle(admin.page);
    await shoot(admin.page, 'sign-in');
    await signInFromPage(admin.page, platform.seed.email, platform.seed.password);
    const invitation = await admin.page.evaluate<{ url: string }>(
      `fetch('/v1/invitations', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'colleague@example.test', role: 'member' }) }).then((r) => r.json())`,
    );
    const token = invitation.url.split('/invite/')[1]!;
    const resolve = (route: string) =>
      route
        .replace(':id', hosts[0]!.deviceId)
        .replace(':token', token)
        .replace(':rule', cpuRule.id)
        .replace(':incident', alerts.incidentId)
        .replace(':webhook', alerts.webhookId)
        .replace(':hostChannel', hostChannel.id)
        .replace(':site', site.siteId)
        .replace(':trendLog', site.trendLogId);

    for (const [name, route] of SIGNED_IN) {
      await admin.page.goto(`${platform.url}${resolve(route)}`);
      await settle(admin.page);
      // Charts and live values draw just after the data settles.
      await sleep(1500);
      await shoot(admin.page, name);
    }
    // The site page's points table, below its details and controllers.
    await admin.page.goto(`${platform.url}${resolve('/sites/:site')}`);
    await settle(admin.page);
    await admin.page.locator('[data-testid="points"]').evaluate((el) => el.scrollIntoView());
    await sleep(1500);
    await shoot(admin.page, 'site-points');
    await admin.page.setViewportSize({ width: 390, height: 844 });
    await admin.page.goto(platform.url);
    await settle(admin.page);
    await shoot(admin.page, 'fleet-390');
    await admin.context.close();

    for (const [name, route] of SIGNED_OUT.slice(1)) {
      const visitor = await openWatched(browser, { expectedRefusals: [/\/v1\/auth\/me$/] });
      await visitor.page.goto(`${platform.url}${resolve(route)}`);
      await settle(visitor.page);
      await shoot(visitor.page, name);
      await visitor.context.close();
    }
    if (admin.problems.length > 0) console.warn(`screenshots: problems seen:\n${admin.problems.join('\n')}`);
  } finally {
    clearInterval(live);
    receiver.close();
    await browser.close();
    await platform.stop();
  }
}

async function shoot(page: import('playwright-core').Page, name: string): Promise<void> {
  const path = join(OUT, `dashboard-${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshots: ${path.slice(ROOT.length)}`);
}

main().catch((err: unknown) => {
  console.error(`screenshots: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
