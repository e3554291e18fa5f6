import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;
const TWO_32 = 2 ** 32;

/** Writes epoch milliseconds as a 64-bit NTP timestamp (seconds since 1900, 32.32 fixed point). */
export function writeNtpTimestamp(buf: Buffer, offset: number, epochMs: number): void {
  const seconds = epochMs / 1000 + NTP_UNIX_OFFSET_SECONDS;
  const whole = Math.floor(seconds);
  // `>>> 0` wraps into era 1 after 2036-02-07, which readNtpTimestamp undoes.
  buf.writeUInt32BE((whole % TWO_32) >>> 0, offset);
  buf.writeUInt32BE(Math.floor((seconds - whole) * TWO_32) >>> 0, offset + 4);
}

/** Reads a 64-bit NTP timestamp as epoch milliseconds (with fractions of a millisecond). */
export function readNtpTimestamp(buf: Buffer, offset: number): number {
  let seconds = buf.readUInt32BE(offset);
  // RFC 4330 §3: with the top bit clear the time is in era 1 (2036–2104), not 1900–1968.
  if (seconds < 0x80000000) seconds += TWO_32;
  const fraction = buf.readUInt32BE(offset + 4) / TWO_32;
  return (seconds - NTP_UNIX_OFFSET_SECONDS + fraction) * 1000;
}

/** One SNTP exchange's result. Times in milliseconds; `offsetMs` is server clock − local clock. */
export interface SntpResult {
  offsetMs: number;
  rttMs: number;
  stratum: number;
  /** The address the server name resolved to. */
  address: string;
}

export interface SntpQueryOptions {
  host: string;
  port?: number;
  /** Whole exchange, name lookup included. Default 2 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Sends one SNTPv4 client request over UDP and computes the clock offset
 * ((t2 − t1) + (t3 − t4)) / 2 and round trip (t4 − t1) − (t3 − t2) from the four timestamps
 * (client send, server receive, server send, client receive). Rejects on timeout, abort, a
 * reply that does not echo our transmit timestamp, or a kiss-o'-death / unsynchronised server.
 */
export async function querySntp(options: SntpQueryOptions): Promise<SntpResult> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const port = options.port ?? 123;
  const failure = () =>
    deadline.aborted ? new Error(`no NTP reply from ${options.host}:${port} within ${timeoutMs} ms`) : signal.reason;

  // dns.lookup cannot be cancelled; racing it keeps the timeout honest when the resolver hangs.
  const { address, family } = await race(lookup(options.host), signal, failure);
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    const reply = await race(exchange(socket, address, port), signal, failure);
    return { ...reply, address };
  } finally {
    socket.close();
  }
}

async function exchange(socket: Socket, address: string, port: number) {
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // A connected UDP socket only receives datagrams from that server.
    socket.connect(port, address, () => resolve());
  });
  const request = Buffer.alloc(48);
  request[0] = (0 << 6) | (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
  const wallAtSend = Date.now();
  const perfAtSend = performance.now();
  writeNtpTimestamp(request, 40, wallAtSend);
  const replyPromise = new Promise<{ msg: Buffer; perfAtReceive: number }>((resolve, reject) => {
    socket.on('message', (msg) => {
      // Strays (a late reply to an earlier query) do not echo this request's transmit time.
      if (msg.length >= 48 && msg.subarray(24, 32).equals(request.subarray(40, 48))) {
        resolve({ msg, perfAtReceive: performance.now() });
      }
    });
    socket.once('error', reject);
  });
  socket.send(request);
  const { msg, perfAtReceive } = await replyPromise;

  const mode = msg[0]! & 7;
  const leap = msg[0]! >> 6;
  const stratum = msg[1]!;
  if (mode !== 4) throw new Error(`NTP reply has mode ${mode}, expected 4 (server)`);
  if (stratum === 0) throw new Error(`NTP server sent kiss-o'-death ${JSON.stringify(msg.toString('ascii', 12, 16))}`);
  if (leap === 3 || stratum > 15) throw new Error('NTP server is not synchronised');
  // The wall clock is read once and the monotonic clock times the exchange, so a clock step
  // in between cannot distort the round trip.
  const t1 = wallAtSend;
  const t4 = wallAtSend + (perfAtReceive - perfAtSend);
  const t2 = readNtpTimestamp(msg, 32);
  const t3 = readNtpTimestamp(msg, 40);
  return { offsetMs: (t2 - t1 + (t3 - t4)) / 2, rttMs: Math.max(0, t4 - t1 - (t3 - t2)), stratum };
}

function race<T>(work: Promise<T>, signal: AbortSignal, failure: () => unknown): Promise<T> {
  if (signal.aborted) return Promise.reject(failure());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(failure());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
