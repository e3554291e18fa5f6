import { createSocket } from 'node:dgram';
import { DISCOVERY_QUERY, encodeDiscoveryReply, REPLY_LENGTH, type ReplyFields } from '../discovery-protocol.ts';

/** One simulated controller's answer: its fields and reply length (68 current firmware, 40 old). */
export interface SimulatedReply extends ReplyFields {
  /** Reply length in bytes; default 68. */
  length?: number;
}

export interface DiscoveryResponderOptions {
  /** What to answer each query with: controllers, or raw datagrams (malformed replies in tests). */
  replies: readonly (SimulatedReply | Buffer)[];
  /** UDP port; default 0 (any free port). Real controllers listen on 1234. */
  port?: number;
  /** Address to bind; default 127.0.0.1. Bind 0.0.0.0 to receive broadcasts. */
  address?: string;
  /** Wait this long before answering, as slow controllers do. Default 0. */
  delayMs?: number;
}

/** A running responder. */
export interface DiscoveryResponder {
  readonly port: number;
  readonly address: string;
  /** Queries received so far (answered, or to be answered after `delayMs`). */
  readonly queries: number;
  /** Datagrams that were not the discovery query (not answered). */
  readonly strays: number;
  /** Resolves when the next query arrives. */
  nextQuery(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A stand-in for a network of T3 controllers: answers Temco's discovery query (`0x64 0 0 0 0`)
 * with every configured reply, sent to the query's source as controllers do.
 */
export async function startDiscoveryResponder(options: DiscoveryResponderOptions): Promise<DiscoveryResponder> {
  const socket = createSocket({ type: 'udp4', reuseAddr: false });
  const datagrams = options.replies.map((r) =>
    Buffer.isBuffer(r) ? r : encodeDiscoveryReply(r, r.length ?? REPLY_LENGTH),
  );
  const timers = new Set<NodeJS.Timeout>();
  let waiters: (() => void)[] = [];
  let queries = 0;
  let strays = 0;

  socket.on('message', (msg, rinfo) => {
    if (!msg.equals(DISCOVERY_QUERY)) {
      strays++;
      return;
    }
    queries++;
    const received = waiters;
    waiters = [];
    for (const w of received) w();
    const answer = () => {
      for (const d of datagrams) socket.send(d, rinfo.port, rinfo.address);
    };
    if (!options.delayMs) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, options.delayMs);
    timers.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: options.port ?? 0, address: options.address ?? '127.0.0.1', exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A querier that went away (ICMP port unreachable) must not take the simulated site down.
  socket.on('error', () => {});
  const bound = socket.address();

  return {
    port: bound.port,
    address: bound.address,
    get queries() {
      return queries;
    },
    get strays() {
      return strays;
    },
    nextQuery: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        socket.close(() => resolve());
      }),
  };
}
