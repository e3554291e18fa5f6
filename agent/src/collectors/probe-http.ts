import { request, type IncomingMessage } from 'node:http';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { AGENT_VERSION } from '../version.ts';
import { guardProbe } from './probe-socket.ts';

/** What one HTTP(S) probe measured. Phase times are in ms; absent when the probe failed before them. */
export interface HttpProbeResult {
  up: boolean;
  /** Name lookup (0 for an IP address). */
  dnsMs?: number;
  /** TCP handshake, after the lookup. */
  connectMs?: number;
  /** TLS handshake, after TCP (https only). */
  tlsMs?: number;
  /** From the start of the probe to the response headers (includes the phases above). */
  ttfbMs?: number;
  /** From the start to the end of the body, or to the failure. */
  totalMs: number;
  status?: number;
  /** Days until the server certificate's notAfter (negative once expired); https only. */
  certDaysLeft?: number;
  /** Whether the certificate chain and host name verified; https only. */
  tlsVerified?: boolean;
  /** Why `up` is false. */
  error?: string;
}

/** Most body bytes read: a probe measures an endpoint, it does not download files. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DAY_MS = 86_400_000;

/**
 * GETs `url` on a fresh connection, timing each phase from socket events. The connection is
 * made here (not by an Agent) so that TLS is verified before any request is written: with an
 * unverifiable certificate the probe reports its days left and `up: false` without sending
 * the URL, which may carry a secret, to a server that could be an impostor. `up` is a
 * verified 2xx or 3xx answer (redirects are not followed) within `timeoutMs`.
 */
export function probeHttp(url: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<HttpProbeResult> {
  if (options.signal?.aborted) return Promise.reject(options.signal.reason);
  const target = new URL(url);
  const https = target.protocol === 'https:';
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port) || (https ? 443 : 80);
  const start = performance.now();
  const since = (t: number) => t - start;
  const result: HttpProbeResult = { up: false, totalMs: 0 };
  if (isIP(host)) result.dnsMs = 0;

  return new Promise<HttpProbeResult>((resolve, reject) => {
    const socket = https
      ? tlsConnect({
          host,
          port,
          // SNI and the identity check need the name; IP literals are checked against IP SANs.
          ...(isIP(host) ? {} : { servername: host }),
          rejectUnauthorized: false,
          ALPNProtocols: ['http/1.1'],
        })
      : netConnect({ host, port });
    let lookedUpAt = start;
    let connectedAt = start;
    const finish = guardProbe(
      socket,
      { ...options, timeoutMessage: `no complete answer within ${options.timeoutMs} ms` },
      {
        resolve,
        reject,
        result: (error) => {
          result.totalMs = since(performance.now());
          if (error !== undefined) {
            result.up = false;
            result.error = error;
          }
          return result;
        },
      },
    );
    socket.once('lookup', () => {
      lookedUpAt = performance.now();
      result.dnsMs = since(lookedUpAt);
    });
    socket.once('connect', () => {
      connectedAt = performance.now();
      result.connectMs = connectedAt - lookedUpAt;
    });
    socket.on('error', (err: Error) => finish(describe(err)));
    socket.once(https ? 'secureConnect' : 'connect', () => {
      if (https) {
        const tls = socket as TLSSocket;
        result.tlsMs = performance.now() - connectedAt;
        const notAfter = Date.parse(tls.getPeerCertificate().valid_to ?? '');
        if (Number.isFinite(notAfter)) result.certDaysLeft = (notAfter - Date.now()) / DAY_MS;
        result.tlsVerified = tls.authorized;
        if (!tls.authorized) return finish(`certificate not trusted: ${String(tls.authorizationError)}`);
      }
      send();
    });

    function send() {
      const req = request({
        host,
        port,
        defaultPort: https ? 443 : 80,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        headers: { 'user-agent': `edgewatch-agent/${AGENT_VERSION} (probe)`, accept: '*/*', connection: 'close' },
        createConnection: () => socket,
      });
      req.on('error', (err) => finish(describe(err)));
      req.once('response', (res: IncomingMessage) => {
        result.ttfbMs = since(performance.now());
        result.status = res.statusCode;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_BODY_BYTES) done();
        });
        res.once('end', done);
        res.on('error', (err) => finish(describe(err)));
        function done() {
          const status = res.statusCode ?? 0;
          result.up = status >= 200 && status < 400;
          finish(result.up ? undefined : `HTTP ${status}`);
        }
      });
      req.end();
    }
  });
}

function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
