import { connect, isIP } from 'node:net';
import { guardProbe } from './probe-socket.ts';

/** What one TCP connect probe measured, in ms. */
export interface TcpProbeResult {
  up: boolean;
  /** Name lookup (0 for an IP address); absent when it failed. */
  dnsMs?: number;
  /** TCP handshake after the lookup; absent when the connection failed. */
  connectMs?: number;
  /** From the start to the connection or the failure. */
  totalMs: number;
  error?: string;
}

/** Opens a TCP connection to `host:port` and closes it at once; `up` when it was accepted in time. */
export function probeTcp(
  host: string,
  port: number,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<TcpProbeResult> {
  if (options.signal?.aborted) return Promise.reject(options.signal.reason);
  const start = performance.now();
  const result: TcpProbeResult = { up: false, totalMs: 0 };
  if (isIP(host)) result.dnsMs = 0;
  return new Promise((resolve, reject) => {
    let lookedUpAt = start;
    const socket = connect({ host, port });
    const settle = guardProbe(
      socket,
      { ...options, timeoutMessage: `no connection within ${options.timeoutMs} ms` },
      {
        resolve,
        reject,
        result: (error) => {
          result.totalMs = performance.now() - start;
          if (error !== undefined) result.error = error;
          return result;
        },
      },
    );
    socket.once('lookup', () => {
      lookedUpAt = performance.now();
      result.dnsMs = lookedUpAt - start;
    });
    socket.once('connect', () => {
      result.connectMs = performance.now() - lookedUpAt;
      result.up = true;
      settle();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? err.message));
  });
}
