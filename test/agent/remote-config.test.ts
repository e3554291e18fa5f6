import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_CONFIG, type RemoteAgentConfig } from '../../schema/wire/agent-config.ts';
import { createLogger } from '../../agent/src/log.ts';
import { createConfigPoller, type AppliedConfig, type ConfigPoller } from '../../agent/src/remote-config.ts';
import { etagOf, startConfigServer, type ConfigServer } from './helpers/config-server.ts';
import { closedPort } from './helpers/http-server.ts';

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

function pollerFor(url: string, options: { cachePath?: string } = {}) {
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
