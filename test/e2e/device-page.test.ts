import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page, WebSocket, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { buildDashboard } from '../../scripts/build.ts';
import { CHART_SPECS } from '../../workers/dashboard/src/pages/device/chart-specs.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { adminCall, enrollHost, ingest as ingestBatch, type Sample } from './seed-fleet.ts';
import { until } from './wait.ts';
import { openSignedIn, type WatchOptions, type WatchedPage } from './watched-page.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOSTILE = '<img src=x onerror=alert(1)>';

let platform: LocalPlatform;
let browser: Browser;
let host: EnrollResponse;

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.seed.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

let batch = 0;
async function ingest(samples: Sample[]) {
  for (let i = 0; i < samples.length; i += 4000)
    await ingestBatch(platform, host.deviceToken, `devpage-${batch++}`, samples.slice(i, i + 4000));
}

/** Label values for a spec's split labels, two lines each where the split is by something countable. */
const labelSets = (splitBy: readonly string[] = []): Record<string, string>[] =>
  splitBy.length === 0
    ? [{}]
    : ['a', 'b'].map((v) => Object.fromEntries(splitBy.map((name) => [name, `${name}-${v}`])));

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform({ testScheduled: true });
  browser = await launchBrowser();
  host = await enrollHost(platform, 'db-01');

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
  const [cpu] = await seriesOf('cpu_usage_percent');
  await until('the hourly rollup of 29 days of CPU', async () => {
    await fetch(`${platform.url}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
    const q = `series=${cpu!}&from=${now - 30 * DAY}&to=${now}&step=1h`;
    const h = await adminCall<{ source: string; series: { points: unknown[] }[] }>(platform, 'GET', `/v1/history?${q}`);
    return h.source === '1h' && (h.series[0]?.points.length ?? 0) > 600 ? true : undefined;
  });
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

/** The ids of the host's series of `metric`. */
const seriesOf = async (metric: string) =>
  (
    await adminCall<{ series: { id: string }[] }>(
      platform,
      'GET',
      `/v1/series?device=${host.deviceId}&metric=${metric}`,
    )
  ).series.map((s) => s.id);

type Opened = WatchedPage & { historyUrls: URL[] };

/**
 * Signs in, then opens `/devices/<id><query>` in a fresh context, recording what went wrong and
 * every history request. `watch` runs on the page before it navigates (to listen to its sockets).
 */
async function openDevicePage(query = '', options: WatchOptions & { watch?(page: Page): void } = {}): Promise<Opened> {
  const watched = await openSignedIn(browser, platform, { height: 900, ...options });
  const { page, problems } = watched;
  const historyUrls: URL[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname === '/v1/history') historyUrls.push(url);
  });
  options.watch?.(page);
  await page.goto(`${platform.url}/devices/${host.deviceId}${query}`);
  await page
    .getByTestId('device-page')
    .waitFor({ timeout: 15_000 })
    .catch(async (err: unknown) => {
      throw new Error(`the device page did not open: ${String(err)}; ${problems.join('; ')}; ${await page.content()}`);
    });
  return { ...watched, historyUrls };
}

const chart = (page: Page, id: string) => page.getByTestId(`chart-${id}`);
const points = async (page: Page, id: string) =>
  Number(await chart(page, id).getByTestId('time-chart').getAttribute('data-points'));

/** A stream frame as JSON; the fields the checks read. */
interface Frame {
  type: string;
  id?: string;
  subject?: string;
  mode?: string;
  from?: { ts: number };
  replay?: boolean;
  event?: { id: string; type: string };
  samples?: { metric: string; value: number }[];
}

/** Every stream connection a page opens (WebSocket or SSE), and the frames on each. */
function streamWatch() {
  const w = {
    sockets: [] as WebSocket[],
    sse: 0,
    sent: [] as Frame[],
    received: [] as Frame[],
    watch(page: Page) {
      page.on('websocket', (ws) => {
        if (new URL(ws.url()).pathname !== '/v1/stream') return;
        w.sockets.push(ws);
        ws.on('framesent', (f) => w.sent.push(JSON.parse(String(f.payload)) as Frame));
        ws.on('framereceived', (f) => w.received.push(JSON.parse(String(f.payload)) as Frame));
      });
      page.on('request', (req) => {
        if (new URL(req.url()).pathname.startsWith('/v1/stream/sse')) w.sse++;
      });
    },
    /** Connections opened, and how many of them are still open. */
    counts: () => ({ opened: w.sockets.length + w.sse, open: w.sockets.filter((s) => !s.isClosed()).length }),
    /** The subscription the page sent for `subject`, once the server confirmed it. */
    confirmed: (subject: string) =>
      until(`the stream subscription to ${subject}`, () => {
        const sub = w.sent.find((f) => f.type === 'subscribe' && f.subject === subject);
        return sub && w.received.some((f) => f.type === 'subscribed' && f.id === sub.id) ? sub : undefined;
      }),
  };
  return w;
}

describe('device page', () => {
  it('shows the info bar and a chart with data for every collector, hiding a chart with none in range', async () => {
    const { page, context, problems, cspViolations } = await openDevicePage();
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
      expect(await cspViolations()).toEqual([]);
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
    const { page, context, problems } = await openDevicePage('', { width: 390 });
    try {
      await page.getByTestId('settings-name').fill(HOSTILE);
      await page.getByTestId('settings-tags').fill('prod, <b>db</b>');
      // The charts' history requests may still hold the browser's connections: wait for the answer.
      const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
      await page.getByTestId('settings-save').click();
      expect((await saved).status()).toBe(200);
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

    // The browser logs the deliberate 400; nothing else may fail.
    const { page, context, problems } = await openDevicePage('', { expectedRefusals: [/\/agent-config$/] });
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
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
  it('keeps one stream connection from the live device page to the events page, which replays then follows events on it', async () => {
    const stream = streamWatch();
    const earlier = await adminCall<{ id: string }>(platform, 'POST', '/v1/events', {
      type: 'custom.before-following',
    });
    const { page, context, problems } = await openDevicePage('?range=15m', { watch: stream.watch });
    try {
      const org = platform.seed.orgId;
      const device = await stream.confirmed(`org.${org}.*.*.device.${host.deviceId}.**`);
      await expect.poll(() => points(page, 'load'), { timeout: 15_000 }).toBeGreaterThan(0);
      const before = await points(page, 'load');
      await ingest([{ metric: 'load1', ts: Date.now(), value: 3 }]);
      await expect.poll(() => points(page, 'load'), { timeout: 15_000 }).toBeGreaterThan(before);
      expect(stream.counts()).toEqual({ opened: 1, open: 1 });

      // The app's own navigation: the page changes, the connection stays.
      await page.getByTestId('nav-events').click();
      await page.getByTestId('events-live').check();
      await expect.poll(() => page.getByTestId('events-live-state').textContent(), { timeout: 15_000 }).toBe('live');
      const eventSubs = await Promise.all(
        [`org.${org}.event.*`, `org.${org}.site.*.device.*.event.*`].map((p) => stream.confirmed(p)),
      );
      for (const sub of eventSubs) {
        expect(sub.mode).toBe('replay-then-live');
        expect(sub.from!.ts).toBeLessThanOrEqual(Date.now() - DAY + 60_000);
      }
      // Leaving the device page unsubscribed its samples; the replay came over the same socket.
      expect(stream.sent).toContainEqual({ type: 'unsubscribe', id: device.id });
      await until('the earlier event replayed', () =>
        stream.received.some((f) => f.type === 'event' && f.replay && f.event?.id === earlier.id) ? true : undefined,
      );

      await adminCall(platform, 'POST', '/v1/events', { type: 'custom.while-following' });
      const row = page.getByTestId('event-row').filter({ hasText: 'custom.while-following' });
      await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('live');
      expect(stream.counts()).toEqual({ opened: 1, open: 1 });

      await page.getByTestId('events-live').uncheck();
      for (const sub of eventSubs)
        await expect.poll(() => stream.sent).toContainEqual({ type: 'unsubscribe', id: sub.id });
      expect(stream.counts()).toEqual({ opened: 1, open: 1 });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('reads the live range again from the API when the stream reports a gap', async () => {
    const sockets: WebSocketRoute[] = [];
    const received: Frame[] = [];
    let dropping = false;
    let dropped = 0;
    let newEpoch = false;
    const { page, context, problems, historyUrls } = await openDevicePage('?range=15m', {
      // Playwright relays the page's socket to the real /v1/stream, so the test can lose frames on it.
      prepare: (ctx) =>
        ctx.routeWebSocket(/\/v1\/stream$/, (ws) => {
          const server = ws.connectToServer();
          sockets.push(ws);
          ws.onMessage((message) => {
            const frame = JSON.parse(String(message)) as Frame & { resume?: { epoch: string } };
            // As if the hub had lost its sequence (a new epoch): the page's resume point means nothing to it.
            if (frame.type === 'hello' && frame.resume && newEpoch) frame.resume.epoch = 'an-epoch-the-hub-never-had';
            server.send(JSON.stringify(frame));
          });
          server.onMessage((message) => {
            const frame = JSON.parse(String(message)) as Frame;
            received.push(frame);
            if (dropping && frame.type === 'data') dropped += frame.samples!.filter((s) => s.value === 42).length;
            else ws.send(message);
          });
        }),
    });
    try {
      const [load1] = await seriesOf('load1');
      await until('the device subscription to be confirmed', () =>
        received.some((f) => f.type === 'subscribed' && f.subject?.endsWith(`.device.${host.deviceId}.**`))
          ? true
          : undefined,
      );
      await expect.poll(() => points(page, 'load'), { timeout: 15_000 }).toBeGreaterThan(0);
      const before = await points(page, 'load');

      // Three samples the page never gets: their frames are lost on the way.
      dropping = true;
      const now = Date.now();
      await ingest([1, 2, 3].map((i) => ({ metric: 'load1', ts: now - 4000 + i * 1000, value: 42 })));
      await until('the hub to send the three samples', () => (dropped >= 3 ? true : undefined));
      expect(await points(page, 'load')).toBe(before);

      // The socket drops; the page reconnects, cannot resume, and the server says so with a gap.
      dropping = false;
      newEpoch = true;
      const asked = historyUrls.length;
      const cutAt = Date.now();
      await sockets[0]!.close({ code: 1012, reason: 'service restart' });
      await until('a gap for the device subscription', () =>
        received.some((f) => f.type === 'gap' && f.id !== undefined) ? true : undefined,
      );
      await expect.poll(() => points(page, 'load'), { timeout: 15_000 }).toBe(before + 3);
      const refetched = historyUrls.slice(asked).filter((u) => u.searchParams.get('series')!.includes(load1!));
      expect(refetched.length).toBeGreaterThan(0);
      expect(Number(refetched[0]!.searchParams.get('to'))).toBeGreaterThanOrEqual(cutAt);
      expect(sockets).toHaveLength(2);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
