import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_CONFIG, type RemoteAgentConfig } from '../../schema/wire/agent-config.ts';
import type { HostNotice } from '../../schema/wire/notices.ts';
import { createLogger } from '../../agent/src/log.ts';
import { createConfigPoller, type AppliedConfig, type ConfigPoller } from '../../agent/src/remote-config.ts';
import { etagOf, startConfigServer, type ConfigServer } from './helpers/config-server.ts';
import { closedPort, startServer } from './helpers/http-server.ts';

let server: ConfigServer | undefined;
let poller: ConfigPoller | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-remote-'));
});
afterEach(async () => {
  poller?.stop();
  poller = undefined;
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

const withProbe: RemoteAgentConfig = {
  ...DEFAULT_AGENT_CONFIG,
  intervals: { cpu: 5 },
  probes: [{ type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 }],
};

function pollerFor(url: string, options: { cachePath?: string; onNotices?: (notices: HostNotice[]) => void } = {}) {
  const applied: AppliedConfig[] = [];
  const lines: { level: string; msg: string }[] = [];
  poller = createConfigPoller({
    url,
    deviceToken: 'ewd.test',
    log: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }),
    apply: (a) => applied.push(structuredClone(a)),
    intervalMs: 60_000,
    ...options,
  });
  return { poller, applied, lines };
}

describe('remote config poller', () => {
  it('applies the served config, then sends its ETag and changes nothing on a 304', async () => {
    server = await startConfigServer(withProbe);
    const { poller, applied } = pollerFor(server.url);
    expect(await poller.poll()).toBe(true);
    expect(applied).toEqual([expect.objectContaining({ config: withProbe, etag: etagOf(withProbe), source: 'poll' })]);

    expect(await poller.poll()).toBe(false);
    const [first, second] = server.configRequests();
    expect(first!.headers['if-none-match']).toBeUndefined();
    expect(first!.headers.authorization).toBe('Bearer ewd.test');
    expect(second!.headers['if-none-match']).toBe(etagOf(withProbe));
    expect(applied).toHaveLength(1);
    expect(poller.current()?.config).toEqual(withProbe);
  });

  it('applies a changed config on the next poll', async () => {
    server = await startConfigServer(withProbe);
    const { poller, applied } = pollerFor(server.url);
    await poller.poll();
    server.config = { ...withProbe, disabled: ['temperature'] };
    expect(await poller.poll()).toBe(true);
    expect(applied.map((a) => a.config.disabled)).toEqual([[], ['temperature']]);
  });

  it('keeps the last good config through server errors and an invalid config, logging once', async () => {
    server = await startConfigServer(withProbe);
    const { poller, applied, lines } = pollerFor(server.url);
    await poller.poll();
    server.failWith = 500;
    expect(await poller.poll()).toBe(false);
    expect(await poller.poll()).toBe(false);
    server.failWith = undefined;
    server.config = { ...withProbe, probes: [{ type: 'tcp', name: 'x', host: '', port: 0 }] };
    expect(await poller.poll()).toBe(false);
    expect(applied).toHaveLength(1);
    expect(poller.current()?.config).toEqual(withProbe);
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual(['could not fetch remote config; keeping the current one']);
    expect(JSON.stringify(lines)).toContain('probes.0.host');
  });

  it('logs a refused device token as an error', async () => {
    server = await startConfigServer(withProbe);
    const lines: { level: string; msg: string }[] = [];
    const refused = createConfigPoller({
      url: server.url,
      deviceToken: 'ewd.wrong',
      log: createLogger({ write: (l) => lines.push(JSON.parse(l)) }),
      apply: () => {},
    });
    expect(await refused.poll()).toBe(false);
    expect(lines.find((l) => l.level === 'error')?.msg).toMatch(/device token not accepted/);
  });

  it('applies a pushed {etag, config} at once and then polls with that ETag', async () => {
    server = await startConfigServer(withProbe);
    const { poller, applied } = pollerFor(server.url);
    poller.push(JSON.stringify({ etag: etagOf(withProbe), config: withProbe }));
    expect(applied).toEqual([expect.objectContaining({ source: 'push', etag: etagOf(withProbe) })]);
    expect(await poller.poll()).toBe(false);
    expect(server.configRequests()[0]!.headers['if-none-match']).toBe(etagOf(withProbe));
  });

  it('answers an unusable push with a poll', async () => {
    server = await startConfigServer(withProbe);
    const { poller, applied } = pollerFor(server.url);
    poller.push({ changed: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(server.configRequests()).toHaveLength(1);
    expect(applied.map((a) => a.source)).toEqual(['poll']);
  });

  it('caches the last good config and starts from it while the server is down', async () => {
    server = await startConfigServer(withProbe);
    const cachePath = join(dir, 'remote-config.json');
    const first = pollerFor(server.url, { cachePath });
    await first.poller.start();
    first.poller.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect((await stat(cachePath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(cachePath, 'utf8'))).toEqual({ etag: etagOf(withProbe), config: withProbe });

    const down = pollerFor(`http://127.0.0.1:${await closedPort()}`, { cachePath });
    await down.poller.start({ waitMs: 2_000 });
    expect(down.applied).toEqual([expect.objectContaining({ source: 'cache', config: withProbe })]);
    expect(down.poller.current()?.etag).toBe(etagOf(withProbe));
  });
});

describe('host notices beside the remote config', () => {
  const notice = (id: number): HostNotice => ({
    id,
    at: Date.now(),
    transition: 'firing',
    severity: 'warning',
    incidentId: `inc_${id}`,
    ruleName: 'Load high',
    device: { id: 'dev_test', name: null },
    summary: 'load1 is 9 (> 8)',
    title: '[Firing · WARNING] Load high on dev_test',
    url: null,
  });

  /** Serves `{config, notices}` under one ETag, as the Worker does; `notices: undefined` leaves them out. */
  async function serve(body: { config: unknown; notices?: unknown }) {
    const s = await startServer((req) => {
      const etag = etagOf(body);
      if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag }, body: '' };
      return { headers: { etag }, body };
    });
    return { url: s.url, close: s.close, body };
  }

  function noticePoller(url: string) {
    const seen: HostNotice[][] = [];
    return { ...pollerFor(url, { onNotices: (n) => seen.push(n) }), seen };
  }

  it('hands over the notices of every 200 answer, also when the config is unchanged, and none on a 304', async () => {
    const s = await serve({ config: withProbe, notices: [notice(1)] });
    try {
      const { poller, applied, seen } = noticePoller(s.url);
      await poller.poll();
      s.body.notices = [notice(1), notice(2)];
      expect(await poller.poll()).toBe(false);
      expect(await poller.poll()).toBe(false);
      expect(applied).toHaveLength(1);
      expect(seen.map((list) => list.map((n) => n.id))).toEqual([[1], [1, 2]]);
    } finally {
      await s.close();
    }
  });

  it('applies the config, shows the notices it can read and leaves out the others, with a warning', async () => {
    // A later platform's new transition: this agent cannot show it, but must not lose the rest.
    const s = await serve({ config: withProbe, notices: [{ ...notice(1), transition: 'snoozed' }, notice(2)] });
    try {
      const { poller, applied, seen, lines } = noticePoller(s.url);
      expect(await poller.poll()).toBe(true);
      expect(applied.map((a) => a.config)).toEqual([withProbe]);
      expect(seen.map((list) => list.map((n) => n.id))).toEqual([[2]]);
      expect(lines.find((l) => l.msg === 'some host notices not usable; showing the others')).toMatchObject({
        level: 'warn',
        reason: expect.stringContaining('0.transition'),
      });
      // Not a list at all: ignored whole, the config still good.
      s.body.notices = { oops: true };
      expect(await poller.poll()).toBe(false);
      expect(seen).toHaveLength(1);
      expect(lines.find((l) => l.msg === 'host notices not usable; ignoring them')).toMatchObject({ level: 'warn' });
    } finally {
      await s.close();
    }
  });

  it('asks for the whole answer once after a restart, so notices a stop cut short come again', async () => {
    const s = await serve({ config: withProbe, notices: [notice(1)] });
    const cachePath = join(dir, 'remote-config.json');
    try {
      const first = pollerFor(s.url, { cachePath });
      await first.poller.start();
      first.poller.stop();
      await new Promise((r) => setTimeout(r, 50));
      // The restart has the config and its ETag cached; its first poll still gets a 200 with the notices.
      const seen: HostNotice[][] = [];
      const again = pollerFor(s.url, { cachePath, onNotices: (n) => seen.push(n) });
      await again.poller.start();
      expect(seen.map((list) => list.map((n) => n.id))).toEqual([[1]]);
      // From then on the ETag is sent, and an unchanged answer is a 304 with nothing handed over.
      expect(await again.poller.poll()).toBe(false);
      expect(seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('takes notices from a push, and treats an answer or push without them as nothing new', async () => {
    server = await startConfigServer(withProbe);
    const { poller, seen } = noticePoller(server.url);
    await poller.poll();
    poller.push({ etag: '"p1"', config: withProbe });
    poller.push(JSON.stringify({ etag: '"p2"', config: withProbe, notices: [notice(3)] }));
    expect(seen.map((list) => list.map((n) => n.id))).toEqual([[3]]);
  });
});
