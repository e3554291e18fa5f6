import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** What the fake records of each connection, for assertions. */
export interface FakeConnection {
  socket: WebSocket;
  hello?: { resume?: { epoch: string; seq: number }; credits?: number };
  /** Credits granted so far (hello + credit frames) and data frames sent: sent never exceeds granted. */
  granted: number;
  sent: number;
  /** Frames waiting for credit. */
  queue: string[];
  subscribed: Set<string | number>;
  received: Record<string, unknown>[];
}

/**
 * A small in-process server speaking stream protocol v1 the way the ChannelHub does: a replay
 * ring of the last `ringSize` publishes, credits enforced per connection, resume by (epoch, seq)
 * and `gap` outside the ring. Every subscription matches every publish (subjects are not the
 * point here), and a connection gets each publish once.
 */
export class FakeStreamServer {
  readonly connections: FakeConnection[] = [];
  epoch = 'e1';
  seq = 0;
  /** Answer upgrades by closing with this code (e.g. 4401), or serve normally when undefined. */
  rejectWith: number | undefined;
  /** Behave like a server without resume: no `resumed` in welcome, no gaps. */
  legacy = false;
  readonly #ring: { seq: number; text: string }[] = [];
  readonly #wss: WebSocketServer;

  readonly ringSize: number;

  private constructor(wss: WebSocketServer, ringSize: number) {
    this.#wss = wss;
    this.ringSize = ringSize;
    wss.on('connection', (socket, req) => this.#accept(socket, req.headers.authorization));
  }

  static async start(ringSize = 100): Promise<FakeStreamServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    return new FakeStreamServer(wss, ringSize);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#wss.address() as AddressInfo).port}/v1/stream`;
  }

  /** Publishes one data frame with `value`, stamped with the next seq. */
  publish(value: number): number {
    this.seq += 1;
    const sample = { subject: 's', seriesId: 'x', deviceId: 'd', metric: 'm', labels: {}, ts: Date.now(), value };
    const text = JSON.stringify({ type: 'data', seq: this.seq, epoch: this.epoch, samples: [sample] });
    this.#ring.push({ seq: this.seq, text });
    if (this.#ring.length > this.ringSize) this.#ring.shift();
    for (const c of this.connections) if (c.subscribed.size > 0 && c.socket.readyState === 1) this.#enqueue(c, text);
    return this.seq;
  }

  /** Drops every connection with `code` (1001 going away, 4008 slow consumer, …). */
  dropAll(code = 1001): void {
    for (const c of this.connections) c.socket.close(code, 'test');
  }

  async stop(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    await new Promise((resolve) => this.#wss.close(resolve));
  }

  #accept(socket: WebSocket, auth: string | undefined): void {
    const c: FakeConnection = { socket, granted: 0, sent: 0, queue: [], subscribed: new Set(), received: [] };
    this.connections.push(c);
    if (this.rejectWith !== undefined || auth === 'Bearer bad') {
      socket.close(this.rejectWith ?? 4401, 'unauthorised');
      return;
    }
    socket.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as Record<string, unknown>;
      c.received.push(msg);
      this.#onMessage(c, msg);
    });
  }

  #onMessage(c: FakeConnection, msg: Record<string, unknown>): void {
    const reply = (frame: object) => c.socket.send(JSON.stringify(frame));
    switch (msg['type'] as string) {
      case 'hello': {
        c.hello = msg as FakeConnection['hello'];
        c.granted += (msg['credits'] as number | undefined) ?? 0;
        const resume = c.hello!.resume;
        const resumed = resume !== undefined && this.#canResume(resume);
        const welcome = { type: 'welcome', v: 1, epoch: this.epoch, seq: this.seq, limits: {} };
        return reply(this.legacy ? welcome : { ...welcome, resumed });
      }
      case 'subscribe': {
        const id = msg['id'] as string | number;
        // Like the hub, a pattern outside the caller's organisation `o` is refused.
        if (!String(msg['subject']).startsWith('org.o.')) {
          return reply({
            type: 'error',
            code: 'forbidden_subject',
            message: 'subject must start with "org.o."',
            ref: id,
          });
        }
        c.subscribed.add(id);
        reply({ type: 'subscribed', id, subject: msg['subject'] });
        const resume = c.hello?.resume;
        if (!resume || this.legacy) return;
        // Like the hub: each subscription after a resume replays what was missed, or says it can't.
        if (!this.#canResume(resume)) {
          const reason = resume.epoch === this.epoch ? 'out_of_window' : 'epoch_changed';
          return reply({ type: 'gap', id, epoch: this.epoch, fromSeq: resume.seq + 1, reason });
        }
        // Every subscription matches everything here, so only the first replays (once per connection).
        if (c.subscribed.size > 1) return;
        for (const m of this.#ring) if (m.seq > resume.seq) this.#enqueue(c, m.text);
        return;
      }
      case 'credit':
        c.granted += msg['n'] as number;
        return this.#drain(c);
      case 'ping':
        return reply({ type: 'pong' });
      default:
        return;
    }
  }

  #canResume(resume: { epoch: string; seq: number }): boolean {
    const oldest = this.#ring[0]?.seq ?? this.seq + 1;
    return resume.epoch === this.epoch && resume.seq >= oldest - 1 && resume.seq <= this.seq;
  }

  #enqueue(c: FakeConnection, text: string): void {
    c.queue.push(text);
    this.#drain(c);
  }

  #drain(c: FakeConnection): void {
    while (c.queue.length > 0 && c.sent < c.granted) {
      c.sent += 1;
      c.socket.send(c.queue.shift()!);
    }
  }
}
