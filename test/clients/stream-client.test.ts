import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createStreamClient,
  SubscriptionError,
  type StreamClient,
  type StreamClientOptions,
} from '../../clients/stream/src/index.ts';
import type { DataFrame, GapFrame, StreamState } from '../../clients/stream/src/index.ts';
import { FakeStreamServer } from './fake-stream-server.ts';
import { until } from '../e2e/wait.ts';

let server: FakeStreamServer;
let client: StreamClient | undefined;

beforeEach(async () => {
  server = await FakeStreamServer.start(50);
});
afterEach(async () => {
  client?.close();
  client = undefined;
  await server.stop();
});

/** A client on the fake with fast reconnects, recording everything it reports. */
function open(extra: Partial<StreamClientOptions> = {}) {
  const seen = { values: [] as number[], gaps: [] as GapFrame[], states: [] as StreamState[] };
  client = createStreamClient({
    url: server.url,
    headers: { authorization: 'Bearer good' },
    window: 8,
    backoff: { baseMs: 20, maxMs: 100 },
    onData: (f: DataFrame) => void seen.values.push(...f.samples.map((s) => s.value)),
    onGap: (g) => void seen.gaps.push(g),
    onState: (s) => void seen.states.push(s),
    ...extra,
  });
  return seen;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('stream client against a protocol v1 server', () => {
  it('grants its window in hello, never has more than that outstanding, and replenishes at half', async () => {
    const seen = open();
    await client!.subscribe('all', 'org.o.**');
    const conn = server.connections[0]!;
    expect(conn.hello?.credits).toBe(8);
    for (let i = 1; i <= 200; i++) server.publish(i);
    await until('all 200 delivered', () => (seen.values.length === 200 ? true : undefined), 5000);
    expect(seen.values).toEqual(range(1, 200));
    const grants = conn.received.filter((m) => m['type'] === 'credit').map((m) => m['n'] as number);
    // Half the window at a time, and the total granted is what was consumed plus the window.
    expect(new Set(grants)).toEqual(new Set([4]));
    expect(conn.granted).toBe(200 + 8);
    expect(conn.sent).toBeLessThanOrEqual(conn.granted);
    expect(client!.stats()).toMatchObject({ overruns: 0, outstanding: 8, duplicates: 0 });
  });

  it('holds credits back until an async handler finishes, so a slow consumer slows the server', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen = { values: [] as number[] };
    open({
      window: 4,
      onData: async (f) => {
        seen.values.push(f.samples[0]!.value);
        await gate;
      },
    });
    await client!.subscribe('all', 'org.o.**');
    for (let i = 1; i <= 20; i++) server.publish(i);
    await until('the window delivered', () => (seen.values.length === 4 ? true : undefined), 5000);
    // The server holds the rest for want of credits: nothing more is on its way.
    expect(server.connections[0]!).toMatchObject({ sent: 4, granted: 4 });
    expect(server.connections[0]!.queue.length).toBe(16);
    expect(seen.values).toEqual([1, 2, 3, 4]);
    release();
    await until('the rest delivered', () => (seen.values.length === 20 ? true : undefined), 5000);
    expect(seen.values).toEqual(range(1, 20));
  });

  it('reconnects after 1001 with its last (epoch, seq), re-subscribes, and gets the missed frames once', async () => {
    // A fixed 300 ms backoff, so the publishes below land while the client is away.
    const seen = open({ backoff: { baseMs: 300, maxMs: 300, random: () => 1 } });
    await client!.subscribe('all', 'org.o.**');
    for (let i = 1; i <= 10; i++) server.publish(i);
    await until('10 delivered', () => (seen.values.length === 10 ? true : undefined), 5000);
    server.dropAll(1001);
    for (let i = 11; i <= 20; i++) server.publish(i); // published while the client is away
    await until('second connection', () => server.connections[1]?.hello, 5000);
    expect(server.connections[1]!.hello!.resume).toEqual({ epoch: 'e1', seq: 10 });
    await until('resumed', () => (seen.values.length === 20 ? true : undefined), 5000);
    for (let i = 21; i <= 25; i++) server.publish(i);
    await until('live again', () => (seen.values.length === 25 ? true : undefined), 5000);
    expect(seen.values).toEqual(range(1, 25));
    expect(seen.gaps).toEqual([]);
    expect(seen.states).toEqual(['connecting', 'live', 'reconnecting', 'reconnecting', 'live']);
    expect(server.connections[1]!.received.filter((m) => m['type'] === 'subscribe')).toHaveLength(1);
  });

  it('surfaces gap when the resume point fell out of the replay window, then carries on live', async () => {
    const seen = open();
    await client!.subscribe('cpu', 'org.o.**');
    server.publish(1);
    await until('1 delivered', () => (seen.values.length === 1 ? true : undefined), 5000);
    server.rejectWith = 1013; // keep it away while the ring (50) moves past seq 1
    server.dropAll(1001);
    for (let i = 2; i <= 120; i++) server.publish(i);
    server.rejectWith = undefined;
    await until('the gap', () => seen.gaps[0], 5000);
    expect(seen.gaps).toEqual([{ type: 'gap', id: 'cpu', epoch: 'e1', fromSeq: 2, reason: 'out_of_window' }]);
    server.publish(121);
    await until('live after the gap', () => (seen.values.at(-1) === 121 ? true : undefined), 5000);
    expect(seen.values).toEqual([1, 121]);
  });

  it('surfaces a gap per subscription when the server comes back with another epoch', async () => {
    const seen = open();
    await Promise.all([
      client!.subscribe('a', 'org.o.site.*.device.d1.**'),
      client!.subscribe('b', 'org.o.site.*.device.d2.**'),
    ]);
    server.publish(1);
    await until('1 delivered', () => (seen.values.length === 1 ? true : undefined), 5000);
    server.epoch = 'e2';
    server.dropAll(1001);
    await until('two gaps', () => (seen.gaps.length === 2 ? true : undefined), 5000);
    expect(seen.gaps.map((g) => [g.id, g.epoch, g.reason])).toEqual([
      ['a', 'e2', 'epoch_changed'],
      ['b', 'e2', 'epoch_changed'],
    ]);
    expect(client!.position).toEqual({ epoch: 'e2', seq: 1 });
  });

  it('stops for good on 4401 and reports closed with that code, as unauthorised', async () => {
    const closes: (number | undefined)[] = [];
    const seen = open({
      headers: { authorization: 'Bearer bad' },
      onState: (s, info) => {
        seen.states.push(s);
        if (s === 'closed') {
          closes.push(info.code);
          expect(info.unauthorised).toBe(true);
        }
      },
    });
    const subscription = client!.subscribe('all', 'org.o.**');
    await expect(subscription).rejects.toThrow(/closed the stream \(4401\)/);
    expect(closes).toEqual([4401]);
    // A reconnect would come within the backoff (at most 100 ms): its absence can only be waited out.
    await new Promise((r) => setTimeout(r, 300));
    expect(server.connections).toHaveLength(1);
    expect(seen.states).toEqual(['connecting', 'closed']);
  });

  it('resolves subscribe() once the server confirmed it, so a publish right after is delivered', async () => {
    const seen = open();
    await client!.subscribe('all', 'org.o.**');
    server.publish(1);
    await until('delivered', () => (seen.values.length === 1 ? true : undefined), 5000);
    expect(seen.values).toEqual([1]);
  });

  it("rejects subscribe() with the server's refusal and does not send it again after a reconnect", async () => {
    const errors: string[] = [];
    open({ backoff: { baseMs: 10, maxMs: 20 }, onError: (e) => void errors.push(e.code) });
    const refused = client!.subscribe('theirs', 'org.other.**');
    await expect(refused).rejects.toBeInstanceOf(SubscriptionError);
    await expect(refused).rejects.toMatchObject({ id: 'theirs', frame: { code: 'forbidden_subject' } });
    expect(errors).toEqual(['forbidden_subject']);
    await client!.subscribe('ours', 'org.o.**');
    server.dropAll(1001);
    await until(
      'live again',
      () => (client!.stats().connections === 2 && client!.state === 'live' ? true : undefined),
      5000,
    );
    await until('re-subscribed', () => server.connections[1]!.subscribed.has('ours') || undefined, 5000);
    expect(server.connections[1]!.received.filter((m) => m['type'] === 'subscribe').map((m) => m['id'])).toEqual([
      'ours',
    ]);
  });

  it('rejects a subscribe() still waiting when the client closes', async () => {
    open();
    const waiting = client!.subscribe('all', 'org.o.**');
    client!.close();
    await expect(waiting).rejects.toThrow(/closed before the server confirmed/);
  });

  it('backs off with jitter between failed attempts and reconnects on 4008', async () => {
    const seen = open({ backoff: { baseMs: 10, maxMs: 40 } });
    await until('live', () => (client!.state === 'live' ? true : undefined), 5000);
    server.dropAll(4008);
    await until(
      'live again',
      () => (client!.stats().connections === 2 && client!.state === 'live' ? true : undefined),
      5000,
    );
    expect(seen.states.at(-1)).toBe('live');
  });
});

describe('stream client against a server that cannot resume', () => {
  it('reports a not_resumed gap for each subscription after a reconnect', async () => {
    server.legacy = true;
    const seen = open();
    await client!.subscribe('a', 'org.o.**');
    server.publish(1);
    await until('1 delivered', () => (seen.values.length === 1 ? true : undefined), 5000);
    server.dropAll(1001);
    await until('the gap', () => seen.gaps[0], 5000);
    expect(seen.gaps).toEqual([{ type: 'gap', id: 'a', epoch: 'e1', reason: 'not_resumed' }]);
  });
});
