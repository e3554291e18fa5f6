import type { StreamSample } from '../../../../schema/wire/stream.ts';

/**
 * Coalesces published samples into one data frame per flush interval, so a burst of small
 * batches (many devices reporting on the same tick) goes out as a few frames, each costing a
 * subscriber one credit, instead of one frame per batch. `flushMs` 0 sends each publish at once.
 */
export class FrameBatcher {
  #pending: StreamSample[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  flushMs: number;
  readonly #maxSamples: number;
  readonly #emit: (samples: StreamSample[]) => void;

  constructor(flushMs: number, maxSamples: number, emit: (samples: StreamSample[]) => void) {
    this.flushMs = flushMs;
    this.#maxSamples = maxSamples;
    this.#emit = emit;
  }

  /** Queues samples; they go out at the end of the interval, or now if the frame is full. */
  add(samples: StreamSample[]): void {
    if (this.flushMs <= 0) {
      this.#emit(samples);
      return;
    }
    this.#pending.push(...samples);
    if (this.#pending.length >= this.#maxSamples) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Sends what is pending now: before an event, so frames keep their publish order. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const samples = this.#pending;
    this.#pending = [];
    this.#emit(samples);
  }

  get pendingSamples(): number {
    return this.#pending.length;
  }
}
