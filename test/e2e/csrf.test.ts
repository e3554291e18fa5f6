import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { signInWithForm } from './watched-page.ts';

let platform: LocalPlatform;
let browser: Browser;
let device: EnrollResponse;
/** Pages of another origin on the same host: another port of 127.0.0.1, so the same site. */
let attacker: Server;
let attackerUrl: string;

/** A page that posts `field=value` as `text/plain` to `action` the moment it loads, as a hostile site would. */
function autoSubmitPage(action: string, field: string, value: string): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return `<!doctype html><html><body>
<form method="POST" enctype="text/plain" action="${attr(action)}">
<input type="hidden" name="${attr(field)}" value="${attr(value)}">
</form>
<script>document.forms[0].submit()</script>
</body></html>`;
}

/** The attack pages, by path; filled once the platform's URL and the device are known. */
const pages = new Map<string, string>();

async function startAttacker(): Promise<void> {
  attacker = createServer((req, res) => {
    const html = pages.get(req.url ?? '');
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  attacker.listen(0, '127.0.0.1');
  await once(attacker, 'listening');
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
}

const bearer = () => ({ authorization: `Bearer ${platform.seed.apiKey}` });

async function keyNames(): Promise<string[]> {
  const res = await fetch(`${platform.url}/v1/api-keys`, { headers: bearer() });
  expect(res.status).toBe(200);
  return ((await res.json()) as { keys: { name: string }[] }).keys.map((k) => k.name);
}

async function deviceName(): Promise<string> {
  const res = await fetch(`${platform.url}/v1/devices/${device.deviceId}`, { headers: bearer() });
  expect(res.status).toBe(200);
  return ((await res.json()) as { name: string }).name;
}

/** A revoked device's token is refused, so an accepted batch shows the device is still active. */
async function deviceStillIngests(): Promise<boolean> {
  const res = await fetch(`${platform.url}/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${device.deviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      batchId: crypto.randomUUID(),
      samples: [{ metric: 'cpu_usage_percent', ts: Date.now(), value: 1 }],
    }),
  });
  return res.ok;
}

/** A fresh context, signed in to the dashboard on the platform's origin. */
async function signedIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(platform.url);
  await signInWithForm(page, platform.seed.email, platform.seed.password);
  await page.getByTestId('sign-out').waitFor();
  return { context, page };
}

/** Opens an attack page and returns the platform's answer to the form it submits. */
async function attack(page: Page, path: string, target: string): Promise<{ status: number; body: string }> {
  const answered = page.waitForResponse((res) => res.url() === target && res.request().method() === 'POST');
  await page.goto(`${attackerUrl}${path}`);
  const res = await answered;
  return { status: res.status(), body: await res.text() };
}

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
  await startAttacker();
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform.seed.enrollmentToken, name: 'victim-01', agentVersion: '0.1.0' }),
  });
  expect(res.status).toBe(201);
  device = (await res.json()) as EnrollResponse;
  pages.set('/revoke', autoSubmitPage(`${platform.url}/v1/devices/${device.deviceId}/revoke`, 'x', 'y'));
  // `name=value` with the `=` inside a JSON string: the body parses as a valid key request.
  pages.set(
    '/api-key',
    autoSubmitPage(`${platform.url}/v1/api-keys`, '{"name":"pwned', '","scopes":["read","write","admin"]}'),
  );
});

afterAll(async () => {
  await browser?.close();
  if (attacker?.listening) {
    attacker.close();
    await once(attacker, 'close');
  }
  await platform?.stop();
});

describe('a signed-in browser visiting a page on another port of the same host', () => {
  it('does not revoke a device when that page auto-submits a text/plain form to the revoke route', async () => {
    const { context, page } = await signedIn();
    try {
      const answer = await attack(page, '/revoke', `${platform.url}/v1/devices/${device.deviceId}/revoke`);
      // 403 cross_origin_request, not 401: the browser did send the session cookie along.
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'cross_origin_request' } });
      expect(JSON.parse(answer.body).error.message).toContain(attackerUrl);
      expect(await deviceStillIngests()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('does not create an API key when that page auto-submits a JSON-shaped text/plain form', async () => {
    const before = await keyNames();
    const { context, page } = await signedIn();
    try {
      const answer = await attack(page, '/api-key', `${platform.url}/v1/api-keys`);
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'cross_origin_request' } });
      expect(await keyNames()).toEqual(before);
    } finally {
      await context.close();
    }
  });

  it('still lets the dashboard itself write: a same-origin PATCH and signing out', async () => {
    const { context, page } = await signedIn();
    try {
      // A string, because this file is type-checked without the DOM library.
      const status = await page.evaluate<number>(`fetch('/v1/devices/${device.deviceId}', {
          method: 'PATCH',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'renamed-by-dashboard' }),
        }).then((res) => res.status)`);
      expect(status).toBe(200);
      expect(await deviceName()).toBe('renamed-by-dashboard');

      const signOut = page.waitForResponse((res) => res.url() === `${platform.url}/v1/auth/logout`);
      await page.getByTestId('sign-out').click();
      expect((await signOut).status()).toBe(200);
      await page.getByTestId('login-form').waitFor();
      expect(await deviceStillIngests()).toBe(true);
    } finally {
      await context.close();
    }
  });
});
