import { log } from '../../services/log.ts';
import { hubByName } from '../../services/streams/routing.ts';
import { LEASE_MS, type ShardBatch, type ShardPage } from './downstream.ts';
import type { RingAppend } from './ring.ts';

/** A relay renews its attachments this often while it has viewers: one failed renewal loses nothing. */
export const RENEW_MS = LEASE_MS / 3;

/** The last frame of a shard this relay numbered, in the shard's epoch. */
interface Cursor {
  epoch: string;
  seq: number;
}

/** What a relay does with what its shards send. */
export interface UpstreamSink {
  /** Numbers and fans out one shard frame; the shard's cursor has already moved to it. */
  apply(frame: RingAppend): void;
  /** Frames of a shard were lost (its ring moved on, or it lost its state): the relay's stream has a hole. */
  hole(): void;
}

const KEY = 'upstream:';

/**
 * A relay's feed from every publish shard of its org. Per shard it keeps a cursor (the last
 * shard seq it numbered) in its storage, written with the relay's ring rows, so a restarted
 * relay knows where it stands. A push whose `prev` is past the cursor, an attachment that finds
 * the shard further on, or another epoch make it read the missing frames from the shard's ring;
 * frames at or before the cursor are duplicates and dropped. Each shard's work runs in order.
 */
export class Upstream {
  readonly #cursors = new Map<string, Cursor>();
  readonly #dirty = new Set<string>();
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #storage: DurableObjectStorage;
  readonly #env: Env;
  readonly #self: string;
  readonly #shards: readonly string[];
  readonly #sink: UpstreamSink;
  #attachedAt = 0;

  constructor(storage: DurableObjectStorage, env: Env, self: string, shards: readonly string[], sink: UpstreamSink) {
    this.#storage = storage;
    this.#env = env;
    this.#self = self;
    this.#shards = shards;
    this.#sink = sink;
    for (const shard of shards) {
      const cursor = storage.kv.get<Cursor>(KEY + shard);
      if (cursor) this.#cursors.set(shard, cursor);
    }
  }

  /** Attaches (unless done within the renewal interval) and catches up: before a viewer is let in. */
  async ensure(): Promise<void> {
    if (Date.now() - this.#attachedAt < RENEW_MS) return;
    await this.renew();
  }

  /** Renews every shard's lease, catches up with each, and schedules the next renewal. */
  async renew(): Promise<void> {
    const started = Date.now();
    const results = await Promise.allSettled(this.#shards.map((s) => this.#serial(s, () => this.#attach(s))));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length === 0) this.#attachedAt = started;
    else log.warn('stream relay attach failed', { relay: this.#self, error: String(failed[0]!.reason) });
    await this.#storage.setAlarm(Date.now() + RENEW_MS);
  }

  /** Ends every lease: the relay has no viewers left. Cursors stay, for a catch-up when one returns. */
  async detach(): Promise<void> {
    this.#attachedAt = 0;
    await Promise.allSettled(this.#shards.map((s) => hubByName(this.#env, s).detachRelay(this.#self)));
  }

  /** Takes a shard's push, first reading from its ring what the push skipped. */
  deliver(batch: ShardBatch): Promise<unknown> {
    if (!this.#shards.includes(batch.shard)) return Promise.resolve();
    return this.#serial(batch.shard, async () => {
      const cursor = this.#cursors.get(batch.shard);
      if (!cursor) this.#moveTo(batch.shard, { epoch: batch.epoch, seq: batch.prev });
      else if (cursor.epoch !== batch.epoch || batch.prev > cursor.seq) await this.#catchUp(batch.shard);
      this.#applyAll(batch.shard, batch.epoch, batch.frames);
    });
  }

  /**
   * Writes the cursors moved since the last call. The relay calls it as it appends a frame to its
   * ring, in the same synchronous step, so a stored cursor never runs ahead of the stored frames.
   */
  persist(): void {
    for (const shard of this.#dirty) this.#persistShard(shard);
  }

  // Only this shard's: another's may have moved past frames still waiting in the relay's batcher.
  #persistShard(shard: string): void {
    this.#storage.kv.put(KEY + shard, this.#cursors.get(shard));
    this.#dirty.delete(shard);
  }

  async #attach(shard: string): Promise<void> {
    const { epoch, last } = await hubByName(this.#env, shard).attachRelay(this.#self);
    const cursor = this.#cursors.get(shard);
    if (!cursor) {
      // A new relay has no history to complete: it starts where the shard stands.
      this.#moveTo(shard, { epoch, seq: last });
      this.#persistShard(shard);
    } else if (cursor.epoch !== epoch || cursor.seq < last) await this.#catchUp(shard);
  }

  async #catchUp(shard: string): Promise<void> {
    const stub = hubByName(this.#env, shard);
    for (;;) {
      const cursor = this.#cursors.get(shard)!;
      // RPC result types cannot express an event's free-form `data`; the shape is ShardPage.
      const page = (await (stub.framesAfter(cursor.seq) as Promise<unknown>)) as ShardPage;
      if (page.epoch !== cursor.epoch || !page.covered) {
        this.#moveTo(shard, { epoch: page.epoch, seq: page.last });
        this.#sink.hole();
        this.#persistShard(shard);
        return;
      }
      this.#applyAll(shard, page.epoch, page.frames);
      if (page.frames.length === 0 || this.#cursors.get(shard)!.seq >= page.last) return;
    }
  }

  #applyAll(shard: string, epoch: string, frames: readonly RingAppend[]): void {
    for (const frame of frames) {
      const cursor = this.#cursors.get(shard)!;
      if (cursor.epoch !== epoch || frame.seq <= cursor.seq) continue;
      this.#moveTo(shard, { epoch, seq: frame.seq });
      this.#sink.apply(frame);
    }
  }

  #moveTo(shard: string, cursor: Cursor): void {
    this.#cursors.set(shard, cursor);
    this.#dirty.add(shard);
  }

  #serial<T>(shard: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(shard) ?? Promise.resolve()).then(work);
    this.#chains.set(
      shard,
      run.catch(() => undefined),
    );
    return run;
  }
}
