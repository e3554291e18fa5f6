import { STREAM_LIMITS, type DataFrame, type EventFrame, type StreamSample } from '../../../../schema/wire/stream.ts';

/** What a connection's queue can hold: data frames (filtered per connection) and event frames. */
export type OutFrame = DataFrame | EventFrame;

/** Caps of one outbox, in bytes of queued JSON (UTF-16 length, which is the byte count for ASCII). */
export interface OutboxCaps {
  soft: number;
  hard: number;
}

/** Hub-wide counters every outbox updates (read by `ChannelHub.stats`). */
export interface OutboxCounters {
  /** High-water mark of any single outbox's queued bytes. */
  maxQueuedBytes: number;
  /** Samples dropped because a later sample of the same series replaced them. */
  conflatedSamples: number;
}

// A conflated delivery is split so no single frame grows past about this many samples.
const CONFLATED_CHUNK = 500;

/**
 * One connection's credits and pending frames. Frames go out while credits last; the rest
 * wait here. Below the soft cap the queue is strict seq order. Past it, pending samples are
 * folded to the latest per series and pending events (never conflated) go out first. Past
 * the hard cap `offer` refuses and the caller closes the connection.
 */
export class Outbox {
  credits = 0;
  /** Highest seq handed to `send`; the resume point the client would report. */
  lastSeq = 0;
  bytes = 0;
  readonly #fifo: { frame: OutFrame; text: string }[] = [];
  readonly #events: { frame: EventFrame; text: string }[] = [];
  readonly #latest = new Map<string, { sample: StreamSample; bytes: number }>();
  #latestSeq = 0;
  #conflating = false;

  readonly epoch: string;
  readonly send: (f: OutFrame, text: string) => void;
  readonly counters: OutboxCounters;
  readonly caps: OutboxCaps;

  constructor(
    epoch: string,
    send: (f: OutFrame, text: string) => void,
    counters: OutboxCounters,
    caps: OutboxCaps = { soft: STREAM_LIMITS.softQueueBytes, hard: STREAM_LIMITS.hardQueueBytes },
  ) {
    this.epoch = epoch;
    this.send = send;
    this.counters = counters;
    this.caps = caps;
  }

  /** True while frames wait for credits. */
  get pending(): boolean {
    return this.bytes > 0;
  }

  /** Queues a frame and sends what credits allow; false when the hard cap would be passed. */
  offer(frame: OutFrame, serialised?: string): boolean {
    if (!this.pending && this.credits > 0) {
      this.#emit(frame, serialised ?? JSON.stringify(frame));
      return true;
    }
    const ok = this.#queue(frame, serialised);
    if (ok && this.bytes > this.counters.maxQueuedBytes) this.counters.maxQueuedBytes = this.bytes;
    return ok;
  }

  #queue(frame: OutFrame, serialised?: string): boolean {
    if (this.#conflating) return this.#fold(frame, serialised);
    const text = serialised ?? JSON.stringify(frame);
    if (this.bytes + text.length > this.caps.soft) {
      this.#conflating = true;
      for (const queued of this.#fifo.splice(0)) {
        this.bytes -= queued.text.length;
        this.#fold(queued.frame, queued.text);
      }
      return this.#fold(frame, text);
    }
    this.#fifo.push({ frame, text });
    this.bytes += text.length;
    return true;
  }

  /** Adds credits (saturating) and sends what they allow. */
  grant(n: number): void {
    this.credits = Math.min(this.credits + n, STREAM_LIMITS.maxOutstandingCredits);
    this.drain();
  }

  /** Sends pending frames while credits last. */
  drain(): void {
    while (this.credits > 0 && this.pending) {
      const head = this.#fifo.shift() ?? this.#events.shift();
      if (head) {
        this.bytes -= head.text.length;
        this.#emit(head.frame, head.text);
        continue;
      }
      const samples: StreamSample[] = [];
      for (const [series, entry] of this.#latest) {
        samples.push(entry.sample);
        this.bytes -= entry.bytes;
        this.#latest.delete(series);
        if (samples.length === CONFLATED_CHUNK) break;
      }
      const frame: DataFrame = { type: 'data', seq: this.#latestSeq, epoch: this.epoch, samples, conflated: true };
      this.#emit(frame, JSON.stringify(frame));
    }
    if (!this.pending) this.#conflating = false;
  }

  #emit(frame: OutFrame, text: string): void {
    this.credits -= 1;
    if (frame.seq > this.lastSeq) this.lastSeq = frame.seq;
    this.send(frame, text);
  }

  #fold(frame: OutFrame, text?: string): boolean {
    if (frame.type === 'event') {
      const t = text ?? JSON.stringify(frame);
      if (this.bytes + t.length > this.caps.hard) return false;
      this.#events.push({ frame, text: t });
      this.bytes += t.length;
      return true;
    }
    for (const sample of frame.samples) {
      const bytes = JSON.stringify(sample).length + 1;
      const old = this.#latest.get(sample.seriesId);
      const next = this.bytes + bytes - (old?.bytes ?? 0);
      if (next > this.caps.hard) return false;
      if (old) {
        this.counters.conflatedSamples += 1;
        // Re-insert so delivery order follows the latest update.
        this.#latest.delete(sample.seriesId);
      }
      this.#latest.set(sample.seriesId, { sample, bytes });
      this.bytes = next;
    }
    if (frame.seq > this.#latestSeq) this.#latestSeq = frame.seq;
    return true;
  }
}
