import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall, enrollHost, ingest, type Sample } from './seed-fleet.ts';
import { openSignedIn, openWatched, settle, visit, type WatchedPage } from './watched-page.ts';

/**
 * Issue 12's dashboard pages in real Chromium against a real local platform: a rule made in
 * the editor (a bad clear threshold marked beside its field, then the preview), the incident a
 * crossing value opens, acknowledged with a note and silenced from its page, and a webhook
 * channel whose "send test" reaches a receiver on loopback and shows in the delivery log.
 */

const MIN = 60_000;
const DISK = 'disk_used_percent';

let platform: LocalPlatform;
let browser: Browser;
let host: EnrollResponse;
let watched: WatchedPage;
let receiver: Server;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

/** The disk of the last hour: 50 %, except 95 % between 20 and 10 minutes ago. */
function diskHistory(now: number): Sample[] {
  const samples: Sample[] = [];
  for (let i = 60; i >= 1; i--) {
    samples.push({ metric: DISK, ts: now - i * MIN, value: i <= 20 && i > 10 ? 95 : 50, labels: { mount: '/' } });
  }
  return samples;
}

/** A browser of someone invited with `role`, who accepted and is signed in. */
async function openAs(role: 'viewer' | 'member'): Promise<WatchedPage> {
  const invitation = await adminCall<{ url: string }>(platform, 'POST', '/v1/invitations', {
    email: `${role}@example.test`,
    role,
  });
  const token = invitation.url.split('/invite/')[1]!;
  const other = await openWatched(browser);
  await other.page.goto(`${platform.url}/health`);
  const status = await other.page.evaluate<number>(
    `fetch('/v1/invitations/${token}/accept', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a passphrase for the ${role}', name: 'A ${role}' }) }).then((r) => r.status)`,
  );
  if (status !== 200) throw new Error(`accepting the ${role} invitation answered ${status}`);
  await other.page.evaluate(`localStorage.setItem('edgewatch.signedIn', '1')`);
  return other;
}

const goto = (path: string): Promise<Page> => visit(watched.page, `${platform.url}${path}`);

beforeAll(async () => {
  await buildDashboard();
  // The channel points at a receiver on loopback, which only this setting allows.
  platform = await startLocalPlatform({ vars: { ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  browser = await launchBrowser();
  host = await enrollHost(platform, 'alert-host-01');
  await ingest(platform, host.deviceToken, 'disk-history', diskHistory(Date.now()));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  // The editor's refused save and preview (the bad clear threshold) are deliberate.
  watched = await openSignedIn(browser, platform, { expectedRefusals: [/\/v1\/alert-rules(\/preview)?$/] });
});

afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await platform?.stop();
  await new Promise((done) => receiver?.close(done));
});

describe('the alert pages', () => {
  let ruleId: string;
  let incidentId: string;

  it('creates a rule in the editor: a bad clear threshold is marked beside its field, the preview shows past firing', async () => {
    const page = await goto('/alerts/rules/new');
    await page.getByTestId('rule-name').fill('Root disk full');
    await page.getByTestId('rule-metric').fill(DISK);
    await page.getByTestId('rule-add-matcher').click();
    await page.getByTestId('rule-matchers-0-label').fill('mount');
    await page.getByTestId('rule-matchers-0-value').fill('/');
    await page.getByTestId('rule-condition-critical-value').fill('90');
    // For ">" the clear line must be at or below the value: 95 is on the wrong side.
    await page.getByTestId('rule-condition-critical-clear').fill('95');
    await page.getByTestId('rule-save').click();
    const fieldError = page.getByTestId('error-condition.critical.clear');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/clear/);
    expect(await page.getByTestId('rule-condition-critical-clear').getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toMatch(/\/alerts\/rules\/new$/);

    await page.getByTestId('rule-condition-critical-clear').fill('85');
    await page.getByTestId('rule-condition-warning-value').fill('80');
    await expect.poll(() => page.getByTestId('error-condition.critical.clear').count()).toBe(0);
    // Between 20 and 10 minutes ago the disk stood at 95 %: the preview fires and resolves.
    const summary = page.getByTestId('preview-summary');
    await expect.poll(() => summary.textContent(), { timeout: 20_000 }).toMatch(/changes? of state/);
    expect(await page.getByTestId('preview-transition').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('preview-transitions').textContent()).toMatch(/firing/);
    await page.getByTestId('rule-preview-chart').waitFor();

    await page.getByTestId('rule-save').click();
    await page.getByTestId('rule-saved').waitFor();
    await expect.poll(() => page.url()).toMatch(/\/alerts\/rules\/[A-Za-z0-9_-]+$/);
    ruleId = page.url().split('/').pop()!;
    expect(ruleId).not.toBe('new');

    await goto('/alerts/rules');
    expect(await page.getByTestId('rule-row').textContent()).toContain('Root disk full');
  });

  it('shows the incident a crossing value opens, on the incidents page, the fleet strip and the device page', async () => {
    const page = await goto('/alerts');
    await ingest(platform, host.deviceToken, 'disk-full', [
      { metric: DISK, ts: Date.now(), value: 97, labels: { mount: '/' } },
    ]);
    const row = page.getByTestId('incident-row').first();
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('data-state')).toBe('firing');
    expect(await row.textContent()).toContain('Root disk full');
    incidentId = (await row.getAttribute('data-id'))!;

    await goto('/');
    const tile = page.getByTestId('summary-incidents');
    await expect.poll(() => tile.textContent(), { timeout: 15_000 }).toMatch(/Firing incidents\s*1/);
    expect(await tile.locator('a').getAttribute('href')).toBe('/alerts?state=firing');

    await goto(`/devices/${host.deviceId}?range=1h`);
    const panel = page.getByTestId('device-incidents');
    await expect.poll(() => panel.getByTestId('incident-row').count()).toBe(1);
  });

  it('acknowledges the incident with a note, and takes it back', async () => {
    const page = await goto(`/incidents/${incidentId}`);
    expect(await page.getByTestId('incident-name').textContent()).toBe('Root disk full');
    await page.getByTestId('incident-ack-note-input').fill('Rotating the logs now');
    await page.getByTestId('incident-ack-submit').click();
    await page.getByTestId('incident-ack-note').waitFor();
    expect(await page.getByTestId('incident-ack-note').textContent()).toBe('Rotating the logs now');
    expect(await page.getByTestId('incident-ack').textContent()).toContain('admin@edgewatch.local');

    await page.getByTestId('incident-unack').click();
    await page.getByTestId('incident-ack-submit').waitFor();
    await page.getByTestId('incident-ack-note-input').fill('Logs rotated, watching it');
    await page.getByTestId('incident-ack-submit').click();
    await page.getByTestId('incident-ack-note').waitFor();

    await goto('/alerts');
    expect(await page.getByTestId('incident-acked').count()).toBe(1);
  });

  it('silences similar incidents from the incident page, then ends the silence', async () => {
    const page = await goto(`/incidents/${incidentId}`);
    await page.getByTestId('incident-silence-similar').click();
    await page.getByTestId('silence-form').waitFor();
    await settle(page);
    expect(new URL(page.url()).pathname).toBe('/silences');
    const values = page.getByTestId('silence-matcher-value');
    expect(await values.count()).toBe(2);
    expect(await values.nth(0).inputValue()).toBe(ruleId);
    expect(await values.nth(1).inputValue()).toBe(host.deviceId);
    await page.getByTestId('silence-duration').fill('1h');
    await page.getByTestId('silence-comment-input').fill('Disk replacement tonight');
    await page.getByTestId('silence-create').click();
    await page.getByTestId('silence-created').waitFor();
    const silence = page.getByTestId('silence-row');
    await silence.waitFor();
    expect(await silence.getAttribute('data-state')).toBe('active');
    expect(await silence.textContent()).toContain('Root disk full');
    expect(await silence.textContent()).toContain('alert-host-01');

    await goto(`/incidents/${incidentId}`);
    await page.locator('.incident-title .silenced').waitFor();

    await goto('/silences');
    await page.getByTestId('silence-end').click();
    await page.getByTestId('silences-empty').waitFor();
  });

  it('shows each role only the controls it may use, and asks nothing it would be refused', async () => {
    const visit = async (w: WatchedPage, path: string) => {
      await w.page.goto(`${platform.url}${path}`);
      await settle(w.page);
      return w.page;
    };
    const viewer = await openAs('viewer');
    const member = await openAs('member');
    try {
      let page = await visit(viewer, '/alerts/rules');
      expect(await page.getByTestId('rule-row').count()).toBe(1);
      expect(await page.getByTestId('rule-new').count()).toBe(0);
      expect(await page.getByTestId('nav-webhooks').count()).toBe(0);
      page = await visit(viewer, `/alerts/rules/${ruleId}`);
      expect(await page.getByTestId('rule-name').inputValue()).toBe('Root disk full');
      expect(await page.getByTestId('rule-save').isDisabled()).toBe(true);
      expect(await page.getByTestId('rule-delete').count()).toBe(0);
      page = await visit(viewer, `/incidents/${incidentId}`);
      expect(await page.getByTestId('incident-ack').textContent()).toContain('Logs rotated, watching it');
      expect(await page.getByTestId('incident-unack').count()).toBe(0);
      expect(await page.getByTestId('incident-silence-similar').count()).toBe(0);
      page = await visit(viewer, '/silences');
      expect(await page.getByTestId('silence-form').count()).toBe(0);
      page = await visit(viewer, '/webhooks');
      await page.getByTestId('webhooks-forbidden').waitFor();

      page = await visit(member, `/incidents/${incidentId}`);
      await page.getByTestId('incident-unack').waitFor();
      expect(await page.getByTestId('incident-silence-similar').count()).toBe(1);
      page = await visit(member, '/silences');
      await page.getByTestId('silence-form').waitFor();
      page = await visit(member, '/alerts/rules');
      expect(await page.getByTestId('rule-new').count()).toBe(0);
      expect(await page.getByTestId('nav-webhooks').count()).toBe(0);

      expect(viewer.problems).toEqual([]);
      expect(member.problems).toEqual([]);
    } finally {
      await viewer.context.close();
      await member.context.close();
    }
  });

  it('creates a webhook channel (secret shown once) whose "send test" shows a delivered entry', async () => {
    const page = await goto('/webhooks');
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await page.getByTestId('webhook-name').fill('Loopback receiver');
    await page.getByTestId('webhook-url').fill(url);
    await page.getByTestId('webhook-save').click();
    const secret = page.getByTestId('webhook-secret');
    await secret.waitFor();
    const signingSecret = (await secret.textContent())!;
    expect(signingSecret).toMatch(/^whsec_/);
    await page.getByTestId('webhook-link').click();
    await page.getByTestId('webhook-page').waitFor();
    await settle(page);
    // The list page showed it once; the channel's page shows only its prefix.
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);

    await page.getByTestId('webhook-test').click();
    const row = page.getByTestId('delivery-row').first();
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('delivered');
    expect(await row.textContent()).toContain('webhook.test');
    await row.getByTestId('delivery-toggle').click();
    const attempt = page.getByTestId('delivery-attempt').first();
    await attempt.waitFor();
    expect(await attempt.textContent()).toMatch(/HTTP 200 in \d+ ms/);
    expect(await attempt.textContent()).toContain('thanks');

    const deliveryId = await row.getAttribute('data-id');
    const got = received.find((r) => r.headers['webhook-id'] === deliveryId);
    expect(got, 'the receiver got the test with the delivery id as webhook-id').toBeDefined();
    // The secret the page showed is the one that signs: the reference implementation agrees.
    const event = new Webhook(signingSecret).verify(got!.body, got!.headers as Record<string, string>) as {
      type: string;
    };
    expect(event.type).toBe('webhook.test');
  });

  it('logged no console error, opened no dialog and broke no CSP rule', async () => {
    expect(watched.problems).toEqual([]);
    expect(await watched.cspViolations()).toEqual([]);
  });
});
