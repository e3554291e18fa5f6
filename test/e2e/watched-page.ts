import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LocalPlatform } from './local-platform.ts';

/** A browser page that records everything that went wrong on it. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions, dialogs and failed requests seen so far. */
  problems: string[];
  /** `securitypolicyviolation` events reported in the current document. */
  cspViolations(): Promise<string[]>;
}

export interface WatchOptions {
  /** Viewport width; 1280 by default (390 for the narrow checks). */
  width?: number;
  height?: number;
  /** Request URLs whose 4xx answers are expected (e.g. /v1/auth/me while signed out). */
  expectedRefusals?: RegExp[];
  /** Runs on the fresh context before its page opens (e.g. `routeWebSocket`). */
  prepare?(context: BrowserContext): Promise<void>;
}

/**
 * A fresh browser context (no cookies) with a page that records console errors, uncaught
 * exceptions, dialogs, failed requests and CSP violations. Navigate it yourself.
 */
export async function openWatched(browser: Browser, options: WatchOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
  });
  await options.prepare?.(context);
  const page = await context.newPage();
  const problems: string[] = [];
  const expected = options.expectedRefusals ?? [];
  const deliberate = (url: string) => expected.some((re) => re.test(url));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const at = msg.location().url;
    // Chromium logs every 4xx answer as a console error; those the caller expects are not problems.
    if (/status of 4\d\d/.test(msg.text()) && deliberate(at)) return;
    problems.push(`console error: ${msg.text()} (${at})`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('requestfailed', (req) => {
    // A page that leaves aborts its pending requests and stream: that is not a failure.
    const reason = req.failure()?.errorText ?? '';
    if (reason === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${reason}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !deliberate(res.url())) {
      problems.push(`request refused: ${res.request().method()} ${res.url()} ${res.status()}`);
    }
  });
  // A string, because the e2e files are type-checked without the DOM library.
  await page.addInitScript({
    content: `window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  return { page, context, problems, cspViolations: () => page.evaluate<string[]>('window.__csp ?? []') };
}

/**
 * Signs the page's context in the way the dashboard does, with a same-origin
 * `POST /v1/auth/login` from the page, so the session cookie lands in the browser.
 * The page must already be on the platform's origin.
 */
export async function signInFromPage(page: Page, email: string, password: string): Promise<void> {
  const status = await page.evaluate<number>(
    `fetch('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ${JSON.stringify(JSON.stringify({ email, password }))},
    }).then((r) => r.status)`,
  );
  if (status !== 200) throw new Error(`sign-in answered ${status}`);
  // What the sign-in form also does: tells the app this browser has a session (app/session.ts).
  await page.evaluate(`localStorage.setItem('edgewatch.signedIn', '1')`);
}

/** Signs in through the sign-in form, as a person does; the page must show it (the platform's `/`). */
export async function signInWithForm(page: Page, email: string, password: string): Promise<void> {
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/**
 * {@link openWatched}, signed in as the platform's seed user with {@link signInFromPage}. The page
 * is left on `/health`, which does not start the app: navigate it to the page under test.
 */
export async function openSignedIn(
  browser: Browser,
  platform: Pick<LocalPlatform, 'url' | 'seed'>,
  options: WatchOptions = {},
): Promise<WatchedPage> {
  const watched = await openWatched(browser, options);
  await watched.page.goto(`${platform.url}/health`);
  await signInFromPage(watched.page, platform.seed.email, platform.seed.password);
  return watched;
}

/**
 * Waits until the page has settled: no HTTP request in flight for half a second and no
 * element marked `aria-busy="true"` (the pages' loading state). Throws after `timeoutMs`.
 */
export async function settle(page: Page, timeoutMs = 15_000): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: timeoutMs });
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: timeoutMs });
}

/** Opens `url` in `page` and waits until it has settled (see {@link settle}). */
export async function visit(page: Page, url: string): Promise<Page> {
  await page.goto(url);
  await settle(page);
  return page;
}
