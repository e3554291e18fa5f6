import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sample as wireSample } from '../../schema/wire/ingest.ts';
import type { HttpProbeResult } from '../../agent/src/collectors/probe-http.ts';
import { createProbesCollector, type Probe } from '../../agent/src/collectors/probes.ts';
import type { Sample } from '../../agent/src/collectors/types.ts';
import { closedPort } from './helpers/http-server.ts';

const PROBE_HTTP = fileURLToPath(new URL('../../agent/src/collectors/probe-http.ts', import.meta.url));
const servers: (Server | HttpServer)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    (s as HttpServer).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** An HTTP server that waits `delayMs` before the status line, then answers `status`. */
const httpServer = (delayMs = 0, status = 200) => {
  let requests = 0;
  const server = createHttpServer((_req, res) => {
    requests += 1;
    setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end('ok'), delayMs);
  });
  return { server, requests: () => requests };
};

const run = async (...probes: Probe[]) => (await createProbesCollector({ probes }).collect()).flat();
const of = (samples: Sample[], probe: string) => {
  const mine = samples.filter((s) => s.labels?.probe === probe);
  return Object.fromEntries(mine.map((s) => [s.metric, s.value])) as Record<string, number | undefined>;
};

describe('HTTP probes', () => {
  it('times a fast server: up, status 200, phases that add up', async () => {
    const port = await listen(httpServer().server);
    const samples = await run({ type: 'http', name: 'fast', url: `http://127.0.0.1:${port}/health` });
    const m = of(samples, 'fast');
    expect(m.probe_up).toBe(1);
    expect(m.probe_http_status_code).toBe(200);
    expect(m.probe_dns_seconds).toBe(0);
    expect(m.probe_connect_seconds).toBeGreaterThanOrEqual(0);
    expect(m.probe_ttfb_seconds).toBeGreaterThanOrEqual(m.probe_connect_seconds!);
    expect(m.probe_duration_seconds).toBeGreaterThanOrEqual(m.probe_ttfb_seconds!);
    expect(m.probe_duration_seconds).toBeLessThan(1);
    expect(m.probe_tls_seconds).toBeUndefined();
    for (const s of samples) {
      expect(s.labels).toEqual({ probe: 'fast', type: 'http' });
      expect(wireSample.safeParse(s).error, JSON.stringify(s)).toBeUndefined();
    }
  });

  it('counts a slow first byte in the time to first byte', async () => {
    const port = await listen(httpServer(300).server);
    const m = of(await run({ type: 'http', name: 'slow', url: `http://127.0.0.1:${port}/` }), 'slow');
    expect(m.probe_up).toBe(1);
    expect(m.probe_ttfb_seconds).toBeGreaterThanOrEqual(0.3);
    expect(m.probe_connect_seconds).toBeLessThan(0.1);
  });

  it('looks up a host name and times it', async () => {
    const port = await listen(httpServer().server);
    const m = of(await run({ type: 'http', name: 'named', url: `http://localhost:${port}/` }), 'named');
    expect(m.probe_up).toBe(1);
    expect(m.probe_dns_seconds).toBeGreaterThanOrEqual(0);
    expect(m.probe_dns_seconds).toBeLessThan(m.probe_duration_seconds!);
  });

  it('is down on a 5xx answer, with its status code', async () => {
    const port = await listen(httpServer(0, 503).server);
    const m = of(await run({ type: 'http', name: 'err', url: `http://127.0.0.1:${port}/` }), 'err');
    expect(m.probe_up).toBe(0);
    expect(m.probe_http_status_code).toBe(503);
  });

  it('gives up at its timeout with the phases it finished', async () => {
    const port = await listen(httpServer(5_000).server);
    const started = performance.now();
    const m = of(await run({ type: 'http', name: 'hang', url: `http://127.0.0.1:${port}/`, timeoutMs: 200 }), 'hang');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(m.probe_up).toBe(0);
    expect(m.probe_connect_seconds).toBeDefined();
    expect(m.probe_ttfb_seconds).toBeUndefined();
    expect(m.probe_duration_seconds).toBeGreaterThanOrEqual(0.19);
  });

  it('is down with no phases past the lookup when the port is closed', async () => {
    const port = await closedPort();
    const m = of(await run({ type: 'http', name: 'closed', url: `http://127.0.0.1:${port}/` }), 'closed');
    expect(m.probe_up).toBe(0);
    expect(m.probe_connect_seconds).toBeUndefined();
    expect(m.probe_http_status_code).toBeUndefined();
  });
});

describe('HTTPS probes', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgewatch-tls-'));
    // A self-signed certificate valid for 30 days, made here so the test never expires.
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the days left of an untrusted certificate, down, without sending the request', async () => {
    let requests = 0;
    const server = createHttpsServer(tls, (_req, res) => {
      requests += 1;
      res.end('ok');
    });
    const port = await listen(server);
    const samples = await run({ type: 'http', name: 'tls', url: `https://127.0.0.1:${port}/secret?token=abc` });
    const m = of(samples, 'tls');
    expect(m.probe_up).toBe(0);
    expect(m.probe_tls_verified).toBe(0);
    expect(m.probe_tls_cert_days_left).toBeGreaterThan(29.9);
    expect(m.probe_tls_cert_days_left).toBeLessThanOrEqual(30.01);
    expect(m.probe_tls_seconds).toBeGreaterThan(0);
    expect(m.probe_http_status_code).toBeUndefined();
    // The URL may carry a secret: nothing is sent to a server whose identity did not verify.
    expect(requests).toBe(0);
  });

  it('is up through a certificate the host trusts, with every phase timed', async () => {
    const port = await listen(createHttpsServer(tls, (_req, res) => res.end('ok')));
    // Node reads extra trusted CAs only at start, so the probe runs in a child that trusts ours.
    const script = `import { probeHttp } from ${JSON.stringify(PROBE_HTTP)};
      process.stdout.write(JSON.stringify(await probeHttp('https://localhost:${port}/', { timeoutMs: 3000 })));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    const r = JSON.parse(out) as HttpProbeResult;
    expect(r).toMatchObject({ up: true, status: 200, tlsVerified: true });
    expect(r.tlsMs).toBeGreaterThan(0);
    expect(r.ttfbMs).toBeGreaterThanOrEqual(r.dnsMs! + r.connectMs! + r.tlsMs!);
    expect(r.certDaysLeft).toBeGreaterThan(29.9);
  });
});

describe('TCP probes', () => {
  it('connects to a listening port', async () => {
    const port = await listen(createTcpServer((s) => s.end()));
    const m = of(await run({ type: 'tcp', name: 'db', host: '127.0.0.1', port }), 'db');
    expect(m).toMatchObject({ probe_up: 1, probe_dns_seconds: 0 });
    expect(m.probe_connect_seconds).toBeGreaterThanOrEqual(0);
    expect(m.probe_connect_seconds).toBeLessThan(0.5);
    expect(m.probe_http_status_code).toBeUndefined();
  });

  it('is down on a refused port, with no connect time', async () => {
    const port = await closedPort();
    const samples = await run({ type: 'tcp', name: 'refused', host: '127.0.0.1', port });
    const m = of(samples, 'refused');
    expect(m.probe_up).toBe(0);
    expect(m.probe_connect_seconds).toBeUndefined();
    expect(samples.every((s) => s.labels?.type === 'tcp')).toBe(true);
  });

  it('runs every probe of the list at once, each to its own timeout', async () => {
    const open = await listen(createTcpServer((s) => s.end()));
    const slow = await listen(httpServer(2_000).server);
    const started = performance.now();
    const samples = await run(
      { type: 'tcp', name: 'a', host: '127.0.0.1', port: open },
      { type: 'http', name: 'b', url: `http://127.0.0.1:${slow}/`, timeoutMs: 300 },
      { type: 'http', name: 'c', url: `http://127.0.0.1:${slow}/`, timeoutMs: 300 },
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect([of(samples, 'a').probe_up, of(samples, 'b').probe_up, of(samples, 'c').probe_up]).toEqual([1, 0, 0]);
  });
});
