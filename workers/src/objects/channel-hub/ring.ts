import { STREAM_LIMITS, type StreamEvent, type StreamSample } from '../../../../schema/wire/stream.ts';
import { addColumnIfMissing } from '../sqlite-columns.ts';
import { packEach, packedJson, unpackSamples, type PackedSamples } from './packed.ts';

/** One published frame as the ring gives it back: every sample of the publish, unfiltered. */
export type RingEntry =
  { seq: number; kind: 'data'; samples: StreamSample[] } | { seq: number; kind: 'event'; event: StreamEvent };

/** One published frame as the ring is handed it: samples still packed as they were published. */
export type RingAppend =
  { seq: number; kind: 'data'; parts: PackedSamples[] } | { seq: number; kind: 'event'; event: StreamEvent };

/** Limits of the ring; tests shrink them through `ChannelHub.tune`. */
export interface RingLimits {
  maxFrames: number;
  maxAgeMs: number;
  /** Characters of JSON kept, so a burst of large batches cannot fill the hub's storage. */
  maxBytes: number;
}

// Each prune deletes at most this many rows, so one publish never stalls on a big delete.
const PRUNE_CHUNK = 500;

/**
 * The hub's replay ring in its own SQLite, so a resume survives eviction and restarts.
 * `prunedThrough` is the highest seq ever deleted: a client whose last seq is at or above
 * it has every later frame here.
 */
export class Ring {
  readonly #sql: SqlStorage;
  readonly #kv: SyncKvStorage;
  #count: number;
  #bytes: number;
  #prunedThrough: number;
  #last: number;
  limits: RingLimits = {
    maxFrames: STREAM_LIMITS.ringMaxFrames,
    maxAgeMs: STREAM_LIMITS.ringMaxAgeMs,
    maxBytes: STREAM_LIMITS.ringMaxBytes,
  };

  constructor(storage: DurableObjectStorage) {
    this.#sql = storage.sql;
    this.#kv = storage.kv;
    // Data frames are kept packed (kind `packed`, PackedSamples[] as JSON): a 1,000-sample batch
    // of 50 series is 34 KB so, 258 KB as frame JSON. Rings written before hold `data` rows
    // (StreamSample[]), read alike.
    // `bytes` is the body's length, kept beside it: SQLite's length() of text reads the whole
    // text (and its overflow pages) to count characters, which pruning paid on every publish.
    this.#sql.exec(
      'CREATE TABLE IF NOT EXISTS ring (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0)',
    );
    if (addColumnIfMissing(this.#sql, 'ring', 'bytes', 'INTEGER NOT NULL DEFAULT 0')) {
      this.#sql.exec('UPDATE ring SET bytes = length(body)');
    }
    const totals = this.#sql
      .exec<{ n: number; bytes: number; last: number }>(
        'SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes, COALESCE(MAX(seq), 0) AS last FROM ring',
      )
      .one();
    this.#count = totals.n;
    this.#bytes = totals.bytes;
    this.#last = totals.last;
    this.#prunedThrough = this.#kv.get<number>('ringPrunedThrough') ?? 0;
  }

  get size(): number {
    return this.#count;
  }

  /** The seq of the last frame appended (or pruned, when the ring emptied), 0 for none. */
  get last(): number {
    return Math.max(this.#last, this.#prunedThrough);
  }

  /** True when every frame after `seq` is still in the ring. */
  covers(seq: number): boolean {
    return seq >= this.#prunedThrough;
  }

  /** Appends one frame, then prunes at most one chunk past the frame or age limit. */
  append(entry: RingAppend, now: number): void {
    const [kind, body] =
      entry.kind === 'data' ? ['packed', packedJson(entry.parts)] : ['event', JSON.stringify(entry.event)];
    this.#sql.exec(
      'INSERT INTO ring (seq, ts, kind, body, bytes) VALUES (?, ?, ?, ?, ?)',
      entry.seq,
      now,
      kind,
      body,
      body.length,
    );
    this.#count += 1;
    this.#bytes += body.length;
    this.#last = entry.seq;
    this.#prune(now);
  }

  /** Frames with seq > `after`, oldest first. */
  *after(after: number): Generator<RingEntry> {
    for (const e of this.stored(after)) {
      yield e.kind === 'event' ? e : { seq: e.seq, kind: 'data', samples: unpackSamples(e.parts) };
    }
  }

  /**
   * Frames with seq > `after` as they were appended (samples packed), oldest first: at least one
   * when there is one, then as many as fit `maxFrames` and `maxBytes` of stored JSON.
   */
  *stored(
    after: number,
    maxFrames = Number.POSITIVE_INFINITY,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Generator<RingAppend> {
    const rows = this.#sql.exec<{ seq: number; kind: string; body: string; bytes: number }>(
      'SELECT seq, kind, body, bytes FROM ring WHERE seq > ? ORDER BY seq',
      after,
    );
    let frames = 0;
    let bytes = 0;
    for (const row of rows) {
      bytes += row.bytes;
      if (frames > 0 && (frames >= maxFrames || bytes > maxBytes)) return;
      frames += 1;
      yield storedEntry(row);
    }
  }

  /**
   * Drops every frame through `seq` and refuses resume points before it: the hub's own stream
   * has a hole there (a relay that lost frames of a shard), so nothing before it may be replayed
   * as if complete.
   */
  forgetThrough(seq: number): void {
    this.#cut(seq);
  }

  #prune(now: number): void {
    const { maxFrames, maxAgeMs, maxBytes } = this.limits;
    let cut = 0;
    const over = this.#count - maxFrames;
    if (over > 0) {
      const row = this.#sql
        .exec<{ seq: number }>('SELECT seq FROM ring ORDER BY seq LIMIT 1 OFFSET ?', Math.min(over, PRUNE_CHUNK) - 1)
        .toArray()[0];
      if (row) cut = row.seq;
    }
    const oldest = this.#sql.exec<{ ts: number }>('SELECT ts FROM ring ORDER BY seq LIMIT 1').toArray()[0];
    // Rows are appended in time order, so only the head can be too old.
    const aged =
      oldest && oldest.ts < now - maxAgeMs
        ? this.#sql
            .exec<{ seq: number | null }>(
              'SELECT MAX(seq) AS seq FROM (SELECT seq, ts FROM ring ORDER BY seq LIMIT ?) WHERE ts < ?',
              PRUNE_CHUNK,
              now - maxAgeMs,
            )
            .one().seq
        : null;
    if (aged !== null && aged > cut) cut = aged;
    if (this.#bytes > maxBytes) {
      let excess = this.#bytes - maxBytes;
      const head = this.#sql.exec<{ seq: number; n: number }>(
        'SELECT seq, bytes AS n FROM ring ORDER BY seq LIMIT ?',
        PRUNE_CHUNK,
      );
      for (const row of head) {
        if (row.seq > cut) cut = row.seq;
        excess -= row.n;
        if (excess <= 0) break;
      }
    }
    if (cut !== 0) this.#cut(cut);
  }

  #cut(cut: number): void {
    this.#bytes -= this.#sql
      .exec<{ bytes: number }>('SELECT COALESCE(SUM(bytes), 0) AS bytes FROM ring WHERE seq <= ?', cut)
      .one().bytes;
    this.#count -= this.#sql.exec('DELETE FROM ring WHERE seq <= ?', cut).rowsWritten;
    if (cut > this.#prunedThrough) {
      this.#prunedThrough = cut;
      this.#kv.put('ringPrunedThrough', cut);
    }
  }
}

function storedEntry(row: { seq: number; kind: string; body: string }): RingAppend {
  if (row.kind === 'event') return { seq: row.seq, kind: 'event', event: JSON.parse(row.body) as StreamEvent };
  const parts =
    row.kind === 'packed'
      ? (JSON.parse(row.body) as PackedSamples[])
      : [packEach(JSON.parse(row.body) as StreamSample[])];
  return { seq: row.seq, kind: 'data', parts };
}
