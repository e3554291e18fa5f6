import { log } from '../../services/log.ts';
import { hubByName, parseHubName } from '../../services/streams/routing.ts';
import type { ChannelHub } from './index.ts';
import type { Ring, RingAppend } from './ring.ts';

/** How long a relay's attachment lasts unless renewed; relays renew at a third of it. */
export const LEASE_MS = 60_000;

/** One catch-up page a shard answers with: at most this many frames and characters of stored JSON. */
export const PAGE_FRAMES = 500;
export const PAGE_BYTES = 4_000_000;

// Past this many frames waiting for one relay, the wait is dropped: the relay sees `prev` jump
// and reads what it missed from the shard's ring, which holds it anyway.
const MAX_QUEUED = 1_000;

/** Frames of one shard as a relay receives them; `prev` is the shard's seq just before the first. */
export interface ShardBatch {
  shard: string;
  epoch: string;
  prev: number;
  frames: RingAppend[];
}

/** Where a shard's sequence stands, and (for a catch-up) its frames after a point. */
export interface ShardPage {
  epoch: string;
  /** The shard's last seq. */
  last: number;
  /** False when the ring no longer holds every frame after the point asked for. */
  covered: boolean;
  frames: RingAppend[];
}

/** One page of a shard's ring after `after`, for a relay catching up. */
export function shardPage(ring: Ring, epoch: string, after: number): ShardPage {
  const last = ring.last;
  const covered = after <= last && ring.covers(after);
  return { epoch, last, covered, frames: covered ? [...ring.stored(after, PAGE_FRAMES, PAGE_BYTES)] : [] };
}

interface Link {
  expires: number;
  stub?: DurableObjectStub<ChannelHub>;
  queue: RingAppend[];
  prev: number;
  busy: boolean;
}

const KEY = 'relay:';

const newLink = (expires: number): Link => ({ expires, queue: [], prev: 0, busy: false });

/**
 * The relays a publish shard feeds. A relay attaches with a lease, kept in the shard's storage
 * so a restarted shard keeps feeding it, and renews it while it has viewers; a lapsed lease is
 * dropped at the next push. Each relay has at most one push in flight: frames published
 * meanwhile wait and go together in the next, so a relay receives one call per round trip
 * however fast the shard publishes, and in order.
 */
export class Downstream {
  readonly #links = new Map<string, Link>();
  readonly #kv: SyncKvStorage;
  readonly #env: Env;
  readonly #self: string;
  readonly #epoch: string;

  constructor(kv: SyncKvStorage, env: Env, self: string, epoch: string) {
    this.#kv = kv;
    this.#env = env;
    this.#self = self;
    this.#epoch = epoch;
    for (const [key, expires] of kv.list<number>({ prefix: KEY })) {
      this.#links.set(key.slice(KEY.length), newLink(expires));
    }
  }

  /** Relays attached now. */
  size(now: number): number {
    let n = 0;
    for (const link of this.#links.values()) if (link.expires >= now) n += 1;
    return n;
  }

  /** Starts or renews a relay's lease. */
  attach(relay: string, now: number): void {
    if (parseHubName(relay)?.role !== 'relay') throw new Error(`not a relay: ${relay}`);
    const expires = now + LEASE_MS;
    this.#kv.put(KEY + relay, expires);
    const link = this.#links.get(relay);
    if (link) link.expires = expires;
    else this.#links.set(relay, newLink(expires));
  }

  detach(relay: string): void {
    this.#kv.delete(KEY + relay);
    this.#links.delete(relay);
  }

  /** Sends a frame the shard just appended to its ring (`prev` being the seq before it) to every attached relay. */
  push(prev: number, frame: RingAppend, now: number): void {
    for (const [relay, link] of this.#links) {
      if (link.expires < now) {
        this.detach(relay);
        continue;
      }
      if (link.queue.length >= MAX_QUEUED) link.queue.length = 0;
      if (link.queue.length === 0) link.prev = prev;
      link.queue.push(frame);
      this.#send(relay, link);
    }
  }

  #send(relay: string, link: Link): void {
    if (link.busy || link.queue.length === 0) return;
    const batch: ShardBatch = { shard: this.#self, epoch: this.#epoch, prev: link.prev, frames: link.queue.splice(0) };
    link.busy = true;
    link.stub ??= hubByName(this.#env, relay);
    link.stub
      .deliver(batch)
      .catch((err: unknown) => {
        // A failed stub stays broken. The frames are dropped here: the relay notices the jump in
        // `prev` with the next push or its next renewal, and reads them from this shard's ring.
        link.stub = undefined;
        log.warn('stream relay push failed', { shard: this.#self, relay, error: String(err) });
      })
      .finally(() => {
        link.busy = false;
        if (this.#links.get(relay) === link) this.#send(relay, link);
      });
  }
}
