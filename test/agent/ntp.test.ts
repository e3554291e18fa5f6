import { afterEach, describe, expect, it } from 'vitest';
import { createNtpCollector } from '../../agent/src/collectors/ntp.ts';
import { querySntp, readNtpTimestamp, writeNtpTimestamp } from '../../agent/src/collectors/sntp.ts';
import type { Sample } from '../../agent/src/collectors/types.ts';
import { createLogger } from '../../agent/src/log.ts';
import { startSntpServer, type SntpServer } from './helpers/sntp-server.ts';

let server: SntpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const value = (samples: Sample[], metric: string) => samples.find((s) => s.metric === metric)?.value;

describe('NTP collector', () => {
  it('measures a +2.5 s offset against a local SNTP responder, within 50 ms', async () => {
    server = await startSntpServer({ offsetMs: 2_500 });
    const ntp = createNtpCollector({ server: '127.0.0.1', port: server.port });
    const samples = await ntp.collect();
    expect(value(samples, 'ntp_up')).toBe(1);
    expect(value(samples, 'ntp_offset_seconds')).toBeGreaterThan(2.45);
    expect(value(samples, 'ntp_offset_seconds')).toBeLessThan(2.55);
    expect(value(samples, 'ntp_rtt_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'ntp_rtt_seconds')).toBeLessThan(0.05);
    expect(samples.every((s) => s.labels?.server === '127.0.0.1')).toBe(true);
  });

  it('measures a negative offset and leaves the server processing time out of the round trip', async () => {
    server = await startSntpServer({ offsetMs: -1_200, delayMs: 150 });
    const r = await querySntp({ host: '127.0.0.1', port: server.port });
    // The server holds the query 150 ms between its receive and transmit stamps: not network time.
    expect(r.offsetMs).toBeGreaterThan(-1_250);
    expect(r.offsetMs).toBeLessThan(-1_150);
    expect(r.rttMs).toBeLessThan(50);
  });

  it('reports ntp_up 0 and nothing else when the server never answers, after its timeout', async () => {
    server = await startSntpServer({ silent: true });
    const lines: string[] = [];
    const ntp = createNtpCollector({
      server: '127.0.0.1',
      port: server.port,
      timeoutMs: 300,
      log: createLogger({ write: (l) => lines.push(l) }),
    });
    const started = performance.now();
    const samples = await ntp.collect();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(samples.map((s) => [s.metric, s.value])).toEqual([['ntp_up', 0]]);
    expect(server.requests).toBe(1);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['NTP server does not answer']);
    // A second failure is not logged again at warn.
    await ntp.collect();
    expect(lines).toHaveLength(1);
  });

  it('refuses a kiss-of-death (stratum 0) answer', async () => {
    server = await startSntpServer({ stratum: 0 });
    await expect(querySntp({ host: '127.0.0.1', port: server.port })).rejects.toThrow(/kiss-o'-death/);
  });

  it('stops waiting when aborted, without reporting the server down', async () => {
    server = await startSntpServer({ silent: true });
    const ntp = createNtpCollector({ server: '127.0.0.1', port: server.port, timeoutMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stopping')), 50);
    await expect(ntp.collect(controller.signal)).rejects.toThrow('stopping');
  });

  it('converts NTP timestamps both ways, across the 2036 era boundary', () => {
    const buf = Buffer.alloc(8);
    for (const ms of [Date.UTC(2026, 10, 22, 12, 0, 0, 250), Date.UTC(2040, 0, 1)]) {
      writeNtpTimestamp(buf, 0, ms);
      expect(readNtpTimestamp(buf, 0)).toBeCloseTo(ms, 3);
    }
  });
});
