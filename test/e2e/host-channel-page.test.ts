import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import type { HostNotice } from '../../schema/wire/notices.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { describeViolations, seriousViolations } from './axe.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall, enrollHost, ingest } from './seed-fleet.ts';
import { until } from './wait.ts';
import { openSignedIn, settle, visit, type WatchedPage } from './watched-page.ts';

/**
 * Issue 16's host notices in real Chromium against a real local platform: a notification
 * channel of kind "Host notices" made in the form (no URL, no secret, a device and a tag
 * filter, only the incident's own device as its target), its page without test, secret or
 * delivery log, where its target goes back to every device the filters cover, the device's
 * agent configuration turning on wall and the journal, and an incident that reaches the picked
 * device's agent, and not the other one's, as a notice beside its config.
 */

const OWN_DEVICE = "The agent of the incident's own device";
const COVERED = 'The agents of every device its filters cover (devices notice-host-01; tagged web)';
const METRIC = 'custom_queue_depth';

let platform: LocalPlatform;
let browser: Browser;
let picked: EnrollResponse;
let other: EnrollResponse;
let watched: WatchedPage;
let channelId: string;

interface ChannelView {
  id: string;
  name: string;
  kind: string;
  url: string | null;
  secretPrefix: string | null;
  filters: Record<string, string[]>;
  hosts: string | null;
}

const goto = (path: string): Promise<Page> => visit(watched.page, `${platform.url}${path}`);

/** `GET /v1/agents/config` as the device's agent polls it. */
async function agentConfig(device: EnrollResponse): Promise<{ config: { notices?: unknown }; notices: HostNotice[] }> {
  const res = await fetch(`${platform.url}/v1/agents/config`, {
    headers: { authorization: `Bearer ${device.deviceToken}` },
  });
  if (res.status !== 200) throw new Error(`GET /v1/agents/config: ${res.status} ${await res.text()}`);
  return (await res.json()) as { config: { notices?: unknown }; notices: HostNotice[] };
}

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
  picked = await enrollHost(platform, 'notice-host-01');
  other = await enrollHost(platform, 'notice-host-02');
  for (const device of [picked, other]) {
    await adminCall(platform, 'PATCH', `/v1/devices/${device.deviceId}`, { tags: ['web'] });
  }
  watched = await openSignedIn(browser, platform);
});

afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await platform?.stop();
});

describe('a host notices channel', () => {
  it("is made in the form without a URL or secret, with a device and a tag filter, for the incident's own device only", async () => {
    const page = await goto('/webhooks');
    expect(await page.getByTestId('webhook-url').count()).toBe(1);
    await page.getByTestId('webhook-name').fill('Terminals of web hosts');
    await page.getByTestId('webhook-kind').selectOption('host');
    await page.getByTestId('webhook-host-note').waitFor();
    expect(await page.getByTestId('webhook-url').count()).toBe(0);
    await page.getByTestId(`webhook-device-${picked.deviceId}`).check();
    await page.getByTestId('webhook-filters-tags').fill('web, web , ');
    await page.getByTestId('webhook-severity-critical').check();
    const targets = page.getByRole('group', { name: 'Which hosts get each notice' });
    const covered = targets.getByRole('radio', { name: 'Every device the filters cover' });
    const own = targets.getByRole('radio', { name: "Only the incident's own device" });
    expect(await covered.isChecked()).toBe(true);
    expect(await own.isChecked()).toBe(false);
    expect(await page.getByTestId('webhook-hosts-hint').textContent()).toContain(
      'devices, sites and tags also choose which hosts get them',
    );
    await own.check();
    expect(await covered.isChecked()).toBe(false);
    expect(await page.getByTestId('webhook-hosts-hint').textContent()).toContain(
      'The filters only choose which incidents pass',
    );
    const formViolations = await seriousViolations(page);
    expect(formViolations, describeViolations(formViolations)).toEqual([]);
    await page.getByTestId('webhook-save').click();

    await page.getByTestId('webhook-created').waitFor();
    expect(await page.getByTestId('webhook-created').textContent()).toContain(
      "Its notices go to the agent of the incident's own device.",
    );
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);
    const row = page.getByTestId('webhook-row');
    await row.waitFor();
    expect(await row.getByTestId('webhook-target').textContent()).toBe(OWN_DEVICE);
    expect(await row.textContent()).toContain('devices notice-host-01');
    expect(await row.textContent()).toContain('tagged web');
    channelId = (await row.getAttribute('data-id'))!;

    const stored = await adminCall<ChannelView>(platform, 'GET', `/v1/webhooks/${channelId}`);
    expect(stored).toMatchObject({ kind: 'host', url: null, secretPrefix: null, hosts: 'incident' });
    expect(stored.filters).toEqual({ severities: ['critical'], deviceIds: [picked.deviceId], tags: ['web'] });
  });

  it('has a page that says where notices go, without test, secret or delivery log, and saves its filters and targets', async () => {
    const page = await goto('/webhooks');
    await page.getByTestId('webhook-link').click();
    await page.getByTestId('webhook-page').waitFor();
    await settle(page);
    expect(await page.getByTestId('webhook-target').textContent()).toBe(OWN_DEVICE);
    expect(await page.getByTestId('host-notices').textContent()).toMatch(/log on the host/);
    for (const absent of ['webhook-test', 'webhook-rotate', 'delivery-log', 'webhook-url']) {
      expect(await page.getByTestId(absent).count(), absent).toBe(0);
    }
    expect(await page.getByTestId('webhook-kind').isDisabled()).toBe(true);
    const pageViolations = await seriousViolations(page);
    expect(pageViolations, describeViolations(pageViolations)).toEqual([]);
    expect(await page.getByTestId(`webhook-device-${picked.deviceId}`).isChecked()).toBe(true);
    expect(await page.getByTestId('webhook-filters-tags').inputValue()).toBe('web');

    expect(await page.getByTestId('webhook-hosts-incident').isChecked()).toBe(true);
    expect(await page.getByTestId('webhook-hosts-covered').isChecked()).toBe(false);

    await page.getByTestId('webhook-severity-critical').uncheck();
    await page.getByRole('radio', { name: 'Every device the filters cover' }).check();
    await page.getByTestId('webhook-save').click();
    await page.getByTestId('webhook-saved').waitFor();
    const stored = await adminCall<ChannelView>(platform, 'GET', `/v1/webhooks/${channelId}`);
    expect(stored.filters).toEqual({ deviceIds: [picked.deviceId], tags: ['web'] });
    expect(stored.hosts).toBe('covered');
    expect(stored.url).toBeNull();
    expect(await page.getByTestId('webhook-target').textContent()).toBe(COVERED);
    expect(await page.getByTestId('webhook-hosts-covered').isChecked()).toBe(true);

    // The list says the same.
    await goto('/webhooks');
    expect(await page.getByTestId('webhook-row').getByTestId('webhook-target').textContent()).toBe(COVERED);
  });

  it("turns on wall and the journal in the device's agent configuration", async () => {
    const page = await goto(`/devices/${picked.deviceId}`);
    await page.getByTestId('agent-config-save').waitFor();
    expect(await page.getByTestId('notices-wall').isChecked()).toBe(false);
    expect(await page.getByTestId('notices-journal').isChecked()).toBe(false);
    await page.getByTestId('notices-wall').check();
    await page.getByTestId('notices-journal').check();
    await page.getByTestId('agent-config-save').click();
    await page.getByTestId('agent-config').getByRole('status').waitFor();

    const cfg = await adminCall<{ overrides: { notices?: unknown } }>(
      platform,
      'GET',
      `/v1/devices/${picked.deviceId}/agent-config`,
    );
    expect(cfg.overrides.notices).toEqual({ wall: true, journal: true });
    expect((await agentConfig(picked)).config.notices).toEqual({ wall: true, journal: true });
    expect((await agentConfig(other)).config.notices).toBeUndefined();

    await goto(`/devices/${picked.deviceId}`);
    await page.getByTestId('agent-config-save').waitFor();
    expect(await page.getByTestId('notices-wall').isChecked()).toBe(true);
    expect(await page.getByTestId('notices-journal').isChecked()).toBe(true);
  });

  it("sends an incident of the picked device to that device's agent only", async () => {
    await adminCall(platform, 'POST', '/v1/alert-rules', {
      name: 'Queue backed up',
      scope: { kind: 'tag', value: 'web' },
      metric: METRIC,
      matchers: [],
      condition: { kind: 'threshold', op: '>', critical: { value: 10 } },
    });
    const queueUp = (device: EnrollResponse) =>
      ingest(platform, device.deviceToken, `queue-${device.deviceId}`, [{ metric: METRIC, ts: Date.now(), value: 50 }]);
    const incidentOf = (device: EnrollResponse) =>
      until(`the incident of ${device.deviceId}`, async () => {
        const page = await adminCall<{ incidents: { id: string; deviceId: string }[] }>(
          platform,
          'GET',
          '/v1/incidents',
        );
        return page.incidents.find((i) => i.deviceId === device.deviceId);
      });
    // The other device first: by the time the picked one's notice is there, the other's incident
    // went through the same queue before it, and the channel's device filter kept it out.
    await queueUp(other);
    await incidentOf(other);
    await queueUp(picked);
    const incident = await incidentOf(picked);
    const notice = await until(
      'the host notice of the picked device',
      async () => (await agentConfig(picked)).notices.find((n) => n.incidentId === incident.id),
      30_000,
    );
    expect(notice).toMatchObject({
      transition: 'firing',
      severity: 'critical',
      ruleName: 'Queue backed up',
      device: { id: picked.deviceId, name: 'notice-host-01' },
    });
    expect((await agentConfig(other)).notices).toEqual([]);
    // Notices are not deliveries: the channel's log stays empty.
    const log = await adminCall<{ deliveries: unknown[] }>(platform, 'GET', `/v1/webhooks/${channelId}/deliveries`);
    expect(log.deliveries).toEqual([]);
  });

  it('logged no console error, opened no dialog and broke no CSP rule', async () => {
    expect(watched.problems).toEqual([]);
    expect(await watched.cspViolations()).toEqual([]);
  });
});
