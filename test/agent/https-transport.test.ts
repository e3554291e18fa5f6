import { afterEach, describe, expect, it } from 'vitest';
import { createHttpsTransport } from '../../agent/src/transports/https.ts';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../agent/src/transports/http-errors.ts';
import { closedPort, startServer, type TestServer } from './helpers/http-server.ts';
import { samples } from './spool-contract.ts';

const batch = { batchId: 'abc-1', samples: samples(3) };
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const transportFor = async (reply?: Parameters<typeof startServer>[0], timeoutMs?: number) => {
  server = await startServer(reply);
  return createHttpsTransport({
    url: server.url,
    deviceToken: 'dev-token-1',
    agent: { version: '9.9.9', hostname: 'h1' },
    timeoutMs,
  });
};

describe('HTTPS transport', () => {
  it('POSTs the batch gzip-compressed to /v1/ingest with the bearer token and returns the ack', async () => {
    const transport = await transportFor();
    const result = await transport.send(batch);
    expect(result).toEqual({ kind: 'ok', ack: { batchId: 'abc-1', accepted: 3, duplicate: false } });

    const [req] = server!.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/ingest');
    expect(req?.headers.authorization).toBe('Bearer dev-token-1');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(req?.json).toEqual({
      batchId: batch.batchId,
      // The series-grouped form: each series once, its points in spool order.
      series: [{ metric: 'test_value', points: batch.samples.map((s) => [s.ts, s.value]) }],
      agent: { version: '9.9.9', hostname: 'h1' },
    });
  });

  it('keeps a path prefix of the server URL', async () => {
    server = await startServer();
    const transport = createHttpsTransport({ url: `${server.url}/edge/`, deviceToken: 't' });
    await transport.send(batch);
    expect(server.requests[0]?.path).toBe('/edge/v1/ingest');
  });

  it('reports 429 with Retry-After in seconds as retryable after that delay', async () => {
    const transport = await transportFor(() => ({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { code: 'rate_limited', message: 'slow down' } },
    }));
    expect(await transport.send(batch)).toEqual({
      kind: 'retryable',
      status: 429,
      retryAfterMs: 7000,
      reason: '429 rate_limited: slow down',
    });
  });

  it('reports 503 with Retry-After as an HTTP date as retryable until that date', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const transport = await transportFor(() => ({ status: 503, headers: { 'retry-after': at }, body: 'busy' }));
    const result = await transport.send(batch);
    expect(result.kind).toBe('retryable');
    const delay = result.kind === 'retryable' ? result.retryAfterMs! : 0;
    // HTTP dates have whole seconds.
    expect(delay).toBeGreaterThan(28_000);
    expect(delay).toBeLessThanOrEqual(30_000);
  });

  it('reports a 500 as retryable without a server-given delay', async () => {
    const transport = await transportFor(() => ({
      status: 500,
      body: { error: { code: 'internal', message: 'oops' } },
    }));
    const result = await transport.send(batch);
    expect(result).toMatchObject({ kind: 'retryable', status: 500 });
    expect(result.kind === 'retryable' && result.retryAfterMs).toBeUndefined();
  });

  it('reports a 400 as permanent, naming the error code and field', async () => {
    const transport = await transportFor(() => ({
      status: 400,
      body: { error: { code: 'invalid_input', message: 'value must be finite', field: 'samples.2.value' } },
    }));
    expect(await transport.send(batch)).toEqual({
      kind: 'permanent',
      status: 400,
      code: 'invalid_input',
      reason: '400 invalid_input: value must be finite (field samples.2.value)',
    });
  });

  it('reports a 401 as permanent', async () => {
    const transport = await transportFor(() => ({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'unknown token' } },
    }));
    expect(await transport.send(batch)).toMatchObject({ kind: 'permanent', status: 401, code: 'unauthorized' });
  });

  it('reports a refused connection as retryable', async () => {
    const transport = createHttpsTransport({ url: `http://127.0.0.1:${await closedPort()}`, deviceToken: 't' });
    const result = await transport.send(batch);
    expect(result.kind).toBe('retryable');
    expect(result.kind === 'retryable' && result.reason).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a server that does not answer within the timeout, as retryable', async () => {
    const transport = await transportFor(() => ({ hang: true }), 300);
    const started = Date.now();
    const result = await transport.send(batch);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result).toMatchObject({ kind: 'retryable', reason: 'no response within 300 ms' });
  });

  it('stops waiting when the caller aborts', async () => {
    const transport = await transportFor(() => ({ hang: true }));
    const result = await transport.send(batch, { signal: AbortSignal.timeout(100) });
    expect(result.kind).toBe('retryable');
  });

  it('treats a 2xx that is not an ack for the batch as retryable', async () => {
    const transport = await transportFor(() => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>portal</html>',
    }));
    expect(await transport.send(batch)).toMatchObject({ kind: 'retryable', status: 200 });
  });
});

describe('Retry-After parsing', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 12:00:05 GMT', now)).toBe(5_000);
  });
  it('treats a past date as no wait and ignores garbage', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
  it('caps a very long wait', () => {
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});
