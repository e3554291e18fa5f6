import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_CONFIG, type RemoteAgentConfig } from '../../schema/wire/agent-config.ts';
import { mqttTopics } from '../../schema/wire/mqtt.ts';
import type { HostNotice } from '../../schema/wire/notices.ts';
import { startAgent, type RunningAgent } from '../../agent/src/agent.ts';
import { loadConfig } from '../../agent/src/config.ts';
import { createLogger } from '../../agent/src/log.ts';
import { createNoticeDelivery } from '../../agent/src/notices/delivery.ts';
import { createMemorySpool } from '../../agent/src/spool/memory.ts';
import { cliSandbox } from './helpers/cli-sandbox.ts';
import { etagOf } from './helpers/config-server.ts';
import { ack, startServer, until, type TestServer } from './helpers/http-server.ts';
import { isolatedEnv, runCli, startCli } from './helpers/run-cli.ts';
import { polite, startBroker } from './mqtt-broker.ts';

const sb = cliSandbox();
let agent: RunningAgent | undefined;
const logs: { level: string; msg: string; [k: string]: unknown }[] = [];

afterEach(async () => {
  await stop();
  logs.length = 0;
});

/** Stops the agent, which waits for the notices it is delivering. */
async function stop() {
  await agent?.stop({ flushMs: 0 });
  agent = undefined;
}

/** No NTP query to the internet from a test. */
const BASE: RemoteAgentConfig = { ...DEFAULT_AGENT_CONFIG, disabled: ['ntp'] };

/** Recent, so wall shows the notices (it leaves out those older than an hour). */
const AT = Date.now() - 1_000;
function notice(id: number, over: Partial<HostNotice> = {}): HostNotice {
  return {
    id,
    at: AT,
    transition: 'firing',
    severity: 'critical',
    incidentId: `inc_${id}`,
    ruleName: 'Disk almost full',
    device: { id: 'dev_test', name: 'web-1' },
    summary: 'disk_used_percent is 93.2 (> 90)',
    title: '[Firing · CRITICAL] Disk almost full on web-1',
    url: `https://edgewatch.example.com/incidents/inc_${id}`,
    ...over,
  };
}

/** What the Worker serves: `{config, notices}` under one ETag; `notices: undefined` is a server from before them. */
interface Served {
  config: RemoteAgentConfig;
  notices: unknown;
}

async function startNoticeServer(served: Served): Promise<TestServer> {
  sb.server = await startServer((req) => {
    if (req.path === '/v1/ingest') return ack(req);
    if (req.path !== '/v1/agents/config') return { status: 404, body: {} };
    const body = served.notices === undefined ? { config: served.config } : { ...served };
    const etag = etagOf(body);
    if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag }, body: '' };
    return { headers: { etag }, body };
  });
  return sb.server;
}

/** An agent in this process, on the sandbox's state folder; `bin` is the only PATH wall and systemd-cat are looked up on. */
async function start(url: string, bin: string, more: Record<string, string> = {}): Promise<RunningAgent> {
  const env = {
    XDG_CONFIG_HOME: sb.dir,
    EDGEWATCH_URL: url,
    EDGEWATCH_TOKEN: 'ewd.test',
    EDGEWATCH_SPOOL_DIR: stateDir(),
    EDGEWATCH_INTERVAL: '60',
    ...more,
  };
  const { config } = await loadConfig({ env });
  const log = createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l)) });
  agent = await startAgent(config, {
    log,
    spool: createMemorySpool(),
    configPollMs: 100,
    statusIntervalMs: 60_000,
    noticeEnv: { PATH: bin },
  });
  return agent;
}

const stateDir = () => join(sb.dir, 'state');
const logPath = () => join(stateDir(), 'notices.jsonl');

async function loggedIds(path = logPath()): Promise<number[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as HostNotice).id);
}

/** A folder for PATH holding the named stand-ins: each appends its arguments and stdin to `<name>.out` beside it. */
async function standIns(...names: string[]): Promise<string> {
  const bin = join(sb.dir, `bin-${names.join('-') || 'empty'}`);
  await mkdir(bin, { recursive: true });
  for (const name of names) {
    const out = join(sb.dir, `${name}.out`);
    await writeFile(join(bin, name), `#!/bin/sh\nPATH=/usr/bin:/bin\necho "args: $*" >>'${out}'\ncat >>'${out}'\n`);
    await chmod(join(bin, name), 0o755);
  }
  return bin;
}
const outputOf = (name: string) => readFile(join(sb.dir, `${name}.out`), 'utf8').catch(() => undefined);

/** Waits until the agent applied `config` from a poll (so its notices were handed over too). */
const applied = (a: RunningAgent, config: RemoteAgentConfig) =>
  until('the config applied', () =>
    JSON.stringify(a.poller.current()?.config) === JSON.stringify(config) ? true : undefined,
  );

const cliEnv = () => ({ ...isolatedEnv(sb.dir), EDGEWATCH_SPOOL_DIR: stateDir() });

describe('host notices on the agent', () => {
  it('logs a polled notice once, through the same list served and pushed again and restarts, and appends a newer one', async () => {
    const empty = await standIns();
    const served: Served = { config: BASE, notices: [notice(1)] };
    const server = await startNoticeServer(served);
    let a = await start(server.url, empty);
    await until('notice 1 in the log', async () => ((await loggedIds()).length ? true : undefined));

    // The same list under a new ETag (a config change), then pushed as the MQTT transport would.
    served.config = { ...BASE, intervals: { cpu: 30 } };
    await applied(a, served.config);
    a.poller.push({ etag: 'pushed', config: served.config, notices: served.notices });
    await stop();
    expect(await loggedIds()).toEqual([1]);

    // A restart, served the same notices in a 200 (the config changed while it was down), and one
    // with the delivery state lost as by a crash between the log write and the state write.
    for (const crash of [false, true]) {
      if (crash) await writeFile(join(stateDir(), 'notices-state.json'), '{}');
      served.config = { ...BASE, intervals: { cpu: crash ? 20 : 40 } };
      a = await start(server.url, empty);
      await applied(a, served.config);
      await stop();
      expect(await loggedIds()).toEqual([1]);
    }

    served.notices = [notice(1), notice(2, { transition: 'resolved', title: '[Resolved] Disk almost full on web-1' })];
    a = await start(server.url, empty);
    await until('notice 2 in the log', async () => ((await loggedIds()).length === 2 ? true : undefined));
    await stop();
    expect(await loggedIds()).toEqual([1, 2]);
    expect(JSON.parse(await readFile(join(stateDir(), 'notices-state.json'), 'utf8'))).toMatchObject({
      lastDeliveredId: 2,
    });

    const text = await runCli(['notices'], cliEnv());
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}firing +critical +\[Firing · CRITICAL\] Disk almost full on web-1 — disk_used_percent is 93\.2 \(> 90\) {2}https:\/\/edgewatch\.example\.com\/incidents\/inc_1$/,
    );
    expect(lines[1]).toMatch(/ {2}resolved +critical +\[Resolved\] Disk almost full on web-1 — /);

    const json = await runCli(['notices', '--json'], cliEnv());
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(await readFile(logPath(), 'utf8'));
    const stored = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as HostNotice & { deliveredAt: number });
    expect(stored[0]).toEqual({ ...(served.notices as HostNotice[])[0], deliveredAt: expect.any(Number) });
  }, 30_000);

  it('delivers the notices pushed on the MQTT config topic', async () => {
    const message = { etag: '"m1"', config: BASE, notices: [notice(1), notice(2)] };
    const broker = await startBroker(
      5,
      polite(5, (packet, ws, b) => {
        if (packet.cmd !== 'subscribe') return;
        const payload = JSON.stringify(message);
        b.send(ws, {
          cmd: 'publish',
          topic: mqttTopics('dev_test').config,
          payload,
          qos: 0,
          retain: false,
          dup: false,
        });
      }),
    );
    try {
      // The MQTT username is the device id, which only the config file holds.
      await mkdir(join(sb.dir, 'edgewatch'), { recursive: true });
      await writeFile(join(sb.dir, 'edgewatch', 'agent.json'), JSON.stringify({ deviceId: 'dev_test' }));
      const url = broker.url.replace(/^ws:/, 'http:').replace(/\/mqtt$/, '');
      await start(url, await standIns(), { EDGEWATCH_TRANSPORT: 'mqtt' });
      await until('the pushed notices in the log', async () => ((await loggedIds()).length === 2 ? true : undefined));
      await stop();
      expect(await loggedIds()).toEqual([1, 2]);
    } finally {
      await stop();
      await broker.close();
    }
  }, 20_000);

  it('writes a notice to wall once when the config enables wall, with control characters stripped', async () => {
    const bin = await standIns('wall', 'systemd-cat');
    const config = { ...BASE, notices: { wall: true, journal: true } };
    const first = notice(1);
    const sly = notice(2, {
      title: '[Firing · CRITICAL] \u001b[2JDisk almost full on web-1\u0007',
      summary: 'disk_used_percent is 93.2\n(> 90)\u001b]0;owned\u0007',
      url: null,
      severity: 'warning',
    });
    const served: Served = { config, notices: [first] };
    const server = await startNoticeServer(served);
    const a = await start(server.url, bin);
    const wall = await until('wall called', () => outputOf('wall'));
    const iso = new Date(first.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(wall).toBe(
      'args: \nEdgewatch: [Firing · CRITICAL] Disk almost full on web-1\n  disk_used_percent is 93.2 (> 90)\n' +
        `  at ${iso}  https://edgewatch.example.com/incidents/inc_1\n`,
    );

    served.notices = [first, sly];
    await until('wall called for notice 2', async () =>
      (await outputOf('wall'))!.includes('owned') ? true : undefined,
    );
    served.config = { ...config, intervals: { cpu: 30 } };
    await applied(a, served.config);
    await stop();

    const all = (await outputOf('wall'))!;
    expect(all.match(/inc_1/g)).toHaveLength(1);
    // eslint-disable-next-line no-control-regex -- what must not reach a terminal
    expect(all).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(all).toContain(
      'Edgewatch: [Firing · CRITICAL] [2JDisk almost full on web-1\n  disk_used_percent is 93.2 (> 90)]0;owned\n',
    );

    const journal = (await outputOf('systemd-cat'))!;
    expect(journal).toContain('args: -t edgewatch-agent -p err\n[Firing · CRITICAL] Disk almost full on web-1: ');
    expect(journal).toContain('args: -t edgewatch-agent -p warning\n');
    expect(journal.match(/^args:/gm)).toHaveLength(2);
  }, 20_000);

  it('holds up neither collection nor shipping while wall hangs', async () => {
    // A wall that never returns (a terminal that blocks): the agent gives it 5 s.
    const bin = join(sb.dir, 'bin-hung');
    await mkdir(bin, { recursive: true });
    const started = join(sb.dir, 'wall.started');
    await writeFile(join(bin, 'wall'), `#!/bin/sh\nPATH=/usr/bin:/bin\ntouch '${started}'\nexec sleep 60\n`);
    await chmod(join(bin, 'wall'), 0o755);
    const server = await startNoticeServer({
      config: { ...BASE, notices: { wall: true, journal: false } },
      notices: [notice(1)],
    });
    const ingests = () => server.requests.filter((r) => r.path === '/v1/ingest').length;
    await start(server.url, bin, { EDGEWATCH_INTERVAL: '1' });
    await until('wall started', () =>
      stat(started)
        .then(() => true)
        .catch(() => undefined),
    );
    const hungAt = Date.now();
    const from = ingests();
    // Two more batches are collected and shipped while wall still hangs (1 s apart, well inside its 5 s).
    await until('two batches shipped during the hung wall', () => (ingests() >= from + 2 ? true : undefined), 4_500);
    expect(Date.now() - hungAt).toBeLessThan(5_000);
    expect(await loggedIds()).toEqual([1]);
    // Stopping waits for the delivery, which ends when wall's time is up.
    await stop();
    expect(logs.find((l) => l.msg === 'wall failed; the notice is in the log')).toMatchObject({
      level: 'warn',
      reason: expect.stringContaining('no exit within 5000 ms'),
    });
  }, 20_000);

  it('notices --test sends a made-up notice to wall and the journal as the cached config enables them', async () => {
    const bin = await standIns('wall', 'systemd-cat');
    const env = { ...cliEnv(), PATH: bin };
    // No config received yet: both outputs off, and the answer says how to turn them on.
    const off = await runCli(['notices', '--test'], env);
    expect(off).toMatchObject({ code: 0, stdout: expect.stringContaining('"notices":{"wall":true,"journal":true}') });
    expect(await outputOf('wall')).toBeUndefined();

    await mkdir(stateDir(), { recursive: true });
    const config = { ...BASE, notices: { wall: true, journal: true } };
    await writeFile(join(stateDir(), 'remote-config.json'), JSON.stringify({ etag: '"x"', config }));
    const on = await runCli(['notices', '--test'], env);
    expect(on.code).toBe(0);
    expect(on.stdout).toContain('sent a test notice to logged-in terminals (wall)');
    expect(on.stdout).toContain('sent a test notice to the journal');
    expect(await outputOf('wall')).toContain('Edgewatch: Test notice for ');
    expect(await outputOf('systemd-cat')).toContain('args: -t edgewatch-agent -p info\nTest notice for ');
    // Nothing went to the log, so status counts nothing.
    await expect(stat(logPath())).rejects.toMatchObject({ code: 'ENOENT' });

    // A host without wall: said so, exit 1.
    const noWall = await runCli(['notices', '--test'], { ...env, PATH: await standIns('systemd-cat') });
    expect(noWall.code).toBe(1);
    expect(noWall.stderr).toContain('no test notice to logged-in terminals (wall): wall is not on PATH');
  }, 30_000);

  it('does not call wall when the config leaves it off', async () => {
    const bin = await standIns('wall');
    const server = await startNoticeServer({
      config: { ...BASE, notices: { wall: false, journal: false } },
      notices: [notice(1)],
    });
    await start(server.url, bin);
    await until('notice 1 in the log', async () => ((await loggedIds()).length ? true : undefined));
    await stop();
    expect(await outputOf('wall')).toBeUndefined();
  });

  it('still logs the notice when the host has no wall', async () => {
    const empty = await standIns();
    const served: Served = { config: { ...BASE, notices: { wall: true, journal: false } }, notices: [notice(1)] };
    const server = await startNoticeServer(served);
    await start(server.url, empty);
    await until('notice 1 in the log', async () => ((await loggedIds()).length ? true : undefined));
    served.notices = [notice(1), notice(2)];
    await until('notice 2 in the log', async () => ((await loggedIds()).length === 2 ? true : undefined));
    await stop();
    // Said once, not for every notice.
    expect(logs.filter((l) => l.msg === 'wall not found on PATH; notices are only logged')).toHaveLength(1);
    expect(logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('applies the config when the notices beside it are not usable, and ignores them', async () => {
    const empty = await standIns();
    const config = { ...BASE, disabled: ['ntp', 'load'] } satisfies RemoteAgentConfig;
    const served: Served = { config, notices: [{ id: 'one', title: 'x' }] };
    const server = await startNoticeServer(served);
    const a = await start(server.url, empty);
    expect(a.poller.current()?.config).toEqual(config);
    expect(a.scheduler.collectors().map((c) => c.name)).not.toContain('load');
    const warning = logs.find((l) => l.msg === 'some host notices not usable; showing the others');
    expect(warning).toMatchObject({ level: 'warn', reason: expect.stringContaining('invalid notices left out: 0.id') });

    // More than the Worker ever sends, pushed: the config still applies.
    const pushed = { ...config, intervals: { cpu: 30 } };
    a.poller.push({ etag: 'p', config: pushed, notices: Array.from({ length: 21 }, (_, i) => notice(i + 1)) });
    expect(a.poller.current()?.config).toEqual(pushed);
    // A server from before notices sends none: nothing changes either.
    served.notices = undefined;
    served.config = { ...config, intervals: { cpu: 20 } };
    await applied(a, served.config);
    await stop();
    expect(logs.filter((l) => l.msg === 'host notices not usable; ignoring them')).toHaveLength(1);
    await expect(stat(logPath())).rejects.toMatchObject({ code: 'ENOENT' });

    const none = await runCli(['notices'], cliEnv());
    expect(none).toMatchObject({ code: 0, stdout: expect.stringContaining('no notices yet') });
  });

  it('keeps the log bounded by rotating it, and notices --follow reads on through a rotation', async () => {
    const maxLogBytes = 8_192;
    const delivery = createNoticeDelivery({
      dir: stateDir(),
      log: createLogger({ write: () => {} }),
      outputs: () => ({ wall: false, journal: false }),
      maxLogBytes,
    });
    const batch = (from: number) => Array.from({ length: 20 }, (_, i) => notice(from + i));
    delivery.deliver(batch(1));
    await delivery.flush();

    const follow = startCli(['notices', '--follow', '--json'], cliEnv());
    sb.children.push(follow.child);
    await until('the first notices followed', () => (follow.out.stdout.includes('"id":20,') ? true : undefined));
    // A batch at a time, as polls bring them: each rotates the log about once.
    for (const from of [21, 41, 61, 81]) {
      delivery.deliver(batch(from));
      await delivery.flush();
      const last = `"id":${from + 19},`;
      await until(`notice ${from + 19} followed`, () => (follow.out.stdout.includes(last) ? true : undefined));
    }
    await delivery.stop();
    const followed = follow.out.stdout;
    follow.child.kill('SIGTERM');
    expect(await follow.exited).toBe(0);

    for (const path of [logPath(), `${logPath()}.1`]) expect((await stat(path)).size).toBeLessThanOrEqual(maxLogBytes);
    const kept = [...(await loggedIds(`${logPath()}.1`)), ...(await loggedIds())];
    expect(kept.length).toBeLessThan(100);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 101 - kept.length + i));
    const listed = await runCli(['notices', '--json'], cliEnv());
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as HostNotice).id),
    ).toEqual(kept);

    // Every notice once, in order, though the log rotated under the follower.
    const ids = followed
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as HostNotice).id);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  }, 20_000);

  it('counts unread firing notices in status until notices shows them', async () => {
    const firing = [notice(1), notice(2, { transition: 'resolved' }), notice(3, { transition: 'escalated' })];
    const server = await startNoticeServer({ config: BASE, notices: firing });
    const env = {
      ...cliEnv(),
      EDGEWATCH_URL: server.url,
      EDGEWATCH_TOKEN: 'ewd.test',
      EDGEWATCH_INTERVAL: '60',
      // No wall of this machine's: notices are off in this config anyway.
      PATH: await standIns(),
    };
    const run = startCli(['run'], env);
    sb.children.push(run.child);
    try {
      const before = await until(
        'status with the notices',
        async () => {
          const r = await runCli(['status'], env);
          return r.code === 0 && r.stdout.includes('notices:') && !r.stdout.includes(' 0 unread')
            ? r.stdout
            : undefined;
        },
        20_000,
      );
      expect(before).toMatch(/^ {2}notices: {5}2 unread firing \(edgewatch-agent notices to read them\)$/m);

      const shown = await runCli(['notices'], env);
      expect(shown.code).toBe(0);
      expect(shown.stdout.trim().split('\n')).toHaveLength(3);

      const after = await runCli(['status'], env);
      expect(after.stdout).toMatch(/^ {2}notices: {5}0 unread firing$/m);
      const json = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { notices: unknown };
      expect(json.notices).toEqual({ unreadFiring: 0, lastId: 3 });
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    }
  }, 30_000);

  it('still prints the notices, saying so, when it cannot mark them read', async () => {
    const delivery = createNoticeDelivery({
      dir: stateDir(),
      log: createLogger({ write: () => {} }),
      outputs: () => ({ wall: false, journal: false }),
    });
    delivery.deliver([notice(1)]);
    await delivery.stop();
    // A folder where the mark would go: the rename onto it fails, as an unwritable folder's would (tests may run as root).
    await mkdir(join(stateDir(), 'notices-read.json', 'x'), { recursive: true });
    const r = await runCli(['notices'], cliEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Disk almost full on web-1');
    expect(r.stderr).toMatch(
      /^edgewatch-agent: cannot mark the notices read in .*state \(\w+\); status still counts them$/m,
    );
  });
});
