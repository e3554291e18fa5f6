import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { freePort } from '../../scripts/local/free-port.ts';
import { migrateLocal, startWorker, type LocalWorker } from '../../scripts/local/wrangler.ts';
import { launchBrowser } from './browser.ts';

/**
 * Issue 10 in a real browser: someone signs up (the Worker runs with SIGNUP=open), invites a
 * colleague as a viewer, the colleague accepts in a second browser context and sees the
 * organisation's data but no admin controls, and the API refuses a write forced from their page.
 */

const OWNER = { email: 'Owner@Example.test ', password: 'a-long-owner-passphrase-42', org: 'Acme Plant 3' };
const VIEWER = { email: 'viewer@example.test', password: 'viewer-passphrase-for-tests', name: 'Vera Viewer' };
const HOST_NAME = 'press-line-01';
const SCREENSHOT = '/tmp/edgewatch-accounts-viewer.png';

let dir: string;
let worker: LocalWorker;
let url: string;
let browser: Browser;

interface Watched {
  page: Page;
  context: BrowserContext;
  problems: string[];
  cspViolations(): Promise<string[]>;
}

/** A fresh context (no cookies) recording console errors, uncaught exceptions, dialogs and CSP violations. */
async function open(path: string, expectedRefusals: RegExp[] = []): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const at = msg.location().url;
    // Chromium logs every 4xx: a 401 from /me (signed out yet) and the 403s this test provokes are expected.
    if (/status of 401/.test(msg.text()) && /\/v1\/auth\/me$/.test(at)) return;
    if (expectedRefusals.some((re) => re.test(at)) && /status of 403/.test(msg.text())) return;
    problems.push(`console error: ${msg.text()} (${at})`);
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
  await page.goto(`${url}/${path}`);
  return { page, context, problems, cspViolations: () => page.evaluate<string[]>('window.__csp') };
}

/** A request sent from the page itself, with its session cookie and origin, as a user forcing it would. */
async function fetchFromPage(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  return page.evaluate(
    `(async () => {
      const res = await fetch(${JSON.stringify(path)}, {
        method: ${JSON.stringify(method)},
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: ${body === undefined ? 'undefined' : JSON.stringify(JSON.stringify(body))},
      });
      return { status: res.status, json: await res.json().catch(() => null) };
    })()`,
  );
}

beforeAll(async () => {
  await buildDashboard();
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-accounts-'));
  const persistTo = join(dir, 'state');
  await migrateLocal(persistTo);
  const port = await freePort();
  // No seed: the organisation and its owner come from sign-up, as on a hosted platform.
  worker = await startWorker({ port, persistTo, logFile: join(dir, 'worker.log'), vars: { SIGNUP: 'open' } });
  url = worker.url;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sign up, invite a viewer, the viewer reads but cannot write', () => {
  let owner: Watched;
  let viewer: Watched;
  let inviteUrl: string;
  let device: EnrollResponse;

  afterAll(async () => {
    await owner?.context.close();
    await viewer?.context.close();
  });

  it('signs up from the sign-in form and lands in the new organisation as its owner', async () => {
    owner = await open('#');
    const { page } = owner;
    await page.getByTestId('signup-link').click();
    await page.getByTestId('signup-email').fill(OWNER.email);
    await page.getByTestId('signup-password').fill(OWNER.password);
    await page.getByTestId('signup-org').fill(OWNER.org);
    await page.getByTestId('signup-submit').click();

    // Either the app or the form's explanation; a refusal fails here with the server's reason.
    await page.locator('[data-testid="nav-members"], [data-testid="signup-error"]:visible').first().waitFor();
    const refused = page.getByTestId('signup-error');
    expect((await refused.isVisible()) ? await refused.textContent() : 'signed up').toBe('signed up');
    expect(await page.getByTestId('org-name').textContent()).toBe(OWNER.org);
    // The email is normalised (trimmed, lower-cased) by the server.
    expect(await page.getByTestId('who').textContent()).toBe('owner@example.test · owner');
    expect(await page.getByTestId('nav-audit').isVisible()).toBe(true);
  });

  it('gives the organisation a device with data, so there is something to read', async () => {
    const created = await fetchFromPage(owner.page, 'POST', '/v1/enrollment-tokens', { kind: 'host', maxUses: 1 });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const enrolled = await fetch(`${url}/v1/agents/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: created.json.token, name: HOST_NAME, agentVersion: '0.1.0' }),
    });
    expect(enrolled.status).toBe(201);
    device = (await enrolled.json()) as EnrollResponse;
    const ingest = await fetch(`${url}/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${device.deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batchId: 'acct-1',
        samples: [{ metric: 'cpu_usage_percent', ts: Date.now(), value: 42.5 }],
      }),
    });
    expect(ingest.status, await ingest.clone().text()).toBe(200);
  });

  it('invites a viewer and shows the one-time link with a copy button', async () => {
    const { page } = owner;
    await page.getByTestId('nav-members').click();
    await page.getByTestId('member-row').first().waitFor();
    await page.getByTestId('invite-email-input').fill(VIEWER.email);
    await page.getByTestId('invite-role-select').selectOption('viewer');
    // Keyboard only: Enter in the email field submits the form.
    await page.getByTestId('invite-email-input').press('Enter');

    const link = page.getByTestId('invite-url');
    await link.waitFor();
    inviteUrl = await link.inputValue();
    expect(inviteUrl).toMatch(new RegExp(`^${url.replace(/[.]/g, '\\.')}/#/invite/[^/]+$`));
    expect(await page.getByTestId('invite-copy').isVisible()).toBe(true);
    const pending = page.getByTestId('invitation-row').filter({ hasText: VIEWER.email });
    await pending.waitFor();
    expect(await pending.getAttribute('data-status')).toBe('pending');
  });

  it('accepts the invitation in a second browser context as a new user', async () => {
    viewer = await open(inviteUrl.slice(url.length + 1), [/\/v1\/invitations$/, /\/v1\/devices\//]);
    const { page } = viewer;
    await page.getByTestId('invite-form').waitFor();
    expect(await page.getByTestId('invite-org').textContent()).toBe(OWNER.org);
    expect(await page.getByTestId('invite-email').textContent()).toBe(VIEWER.email);
    expect(await page.getByTestId('invite-role').textContent()).toBe('viewer');
    await page.getByTestId('invite-password').fill(VIEWER.password);
    await page.getByTestId('invite-name').fill(VIEWER.name);
    await page.getByTestId('invite-accept').click();

    await page.getByTestId('nav-members').waitFor();
    expect(await page.getByTestId('org-name').textContent()).toBe(OWNER.org);
    expect(await page.getByTestId('who').textContent()).toBe(`${VIEWER.email} · viewer`);
  });

  it("shows the viewer the organisation's devices", async () => {
    const row = viewer.page.getByTestId('device-row').filter({ hasText: HOST_NAME });
    await row.waitFor();
    expect(await row.getAttribute('data-device-id')).toBe(device.deviceId);
  });

  it('shows the viewer no admin controls: no audit log, no invite form, no role selects, no remove buttons', async () => {
    const { page } = viewer;
    expect(await page.getByTestId('nav-audit').count()).toBe(0);
    await page.getByTestId('nav-members').click();
    await expect.poll(() => page.getByTestId('member-row').count()).toBe(2);
    // A viewer may still leave: once that is drawn, the viewer's own controls are all drawn.
    await expect.poll(() => page.getByTestId('member-leave').count()).toBe(1);
    expect(await page.getByTestId('invite-form').count()).toBe(0);
    expect(await page.getByTestId('invitations-panel').count()).toBe(0);
    expect(await page.getByTestId('member-role-select').count()).toBe(0);
    expect(await page.getByTestId('member-remove').count()).toBe(0);
    expect(await page.getByTestId('member-transfer').count()).toBe(0);
    await page.screenshot({ path: SCREENSHOT });
  });

  it('refuses writes the viewer forces from the page with 403 forbidden, naming the role needed', async () => {
    const invite = await fetchFromPage(viewer.page, 'POST', '/v1/invitations', {
      email: 'sneaky@example.test',
      role: 'admin',
    });
    expect(invite.status).toBe(403);
    expect(invite.json.error?.code).toBe('forbidden');
    expect(invite.json.error?.message).toContain('"admin" role');

    const rename = await fetchFromPage(viewer.page, 'PATCH', `/v1/devices/${device.deviceId}`, { name: 'renamed' });
    expect(rename.status).toBe(403);
    expect(rename.json.error?.code).toBe('forbidden');
    expect(rename.json.error?.message).toContain('"member" role');
  });

  it("shows the owner the viewer's membership, the accepted invitation and the audit log", async () => {
    const { page } = owner;
    await page.reload();
    const member = page.getByTestId('member-row').filter({ hasText: VIEWER.email });
    await member.waitFor();
    expect(await member.getByTestId('member-role-select').inputValue()).toBe('viewer');
    const accepted = page.getByTestId('invitation-row').filter({ hasText: VIEWER.email });
    await expect.poll(() => accepted.getAttribute('data-status')).toBe('accepted');

    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-row').first().waitFor();
    // The viewer's forced writes changed nothing; each left a `denied` row (docs/security.md).
    const viewerId = await viewer.page.evaluate<string>(
      `fetch('/v1/auth/me').then((r) => r.json()).then((me) => me.userId)`,
    );
    const denied = page.locator(`[data-testid="audit-row"][data-actor="${viewerId}"][data-outcome="denied"]`);
    await expect.poll(() => denied.count()).toBe(2);
    expect(await denied.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')).sort())).toEqual([
      'createInvitation',
      'updateDevice',
    ]);
    expect(await page.getByTestId('audit-row').filter({ hasText: 'renamed' }).count()).toBe(0);
    const invited = page.locator('[data-testid="audit-row"][data-action="createInvitation"][data-outcome="success"]');
    expect(await invited.count()).toBe(1);
  });

  it('logs no console errors and breaks no content security policy rule in either browser', async () => {
    expect(owner.problems).toEqual([]);
    expect(viewer.problems).toEqual([]);
    expect(await owner.cspViolations()).toEqual([]);
    expect(await viewer.cspViolations()).toEqual([]);
  });
});
