/**
 * A closed-loop load driver: N senders, each with one request in flight, as real agents
 * behave. Phases are either timed (stop starting batches at a deadline) or counted (replay
 * exactly the batches another system accepted).
 */

/**
 * Sends batch `index` for `sender` and resolves, once the system under test acknowledges it,
 * with the request's round trip in ms (building and compressing the body are not included).
 */
export type SendFn = (sender: number, index: number) => Promise<number>;

export interface PhaseResult {
  /** Batches acknowledged per sender in this phase. */
  perSender: number[];
  batches: number;
  seconds: number;
  latenciesMs: number[];
}

export interface PhaseOptions {
  label: string;
  senders: number;
  /** First batch index of each sender (continues where the previous phase stopped). */
  startAt: number[];
  /** Timed: stop starting new batches after this many ms. */
  durationMs?: number;
  /** Counted: send exactly this many batches per sender. */
  counts?: number[];
  /** Cap per sender, so a timed phase cannot run past the generator's time range. */
  maxPerSender: number;
  samplesPerBatch: number;
  progress: boolean;
}

export async function runPhase(send: SendFn, o: PhaseOptions): Promise<PhaseResult> {
  const perSender = new Array<number>(o.senders).fill(0);
  const latenciesMs: number[] = [];
  const start = performance.now();
  const deadline = o.durationMs === undefined ? Infinity : start + o.durationMs;
  const limit = (s: number) => Math.min(o.counts?.[s] ?? Infinity, o.maxPerSender - o.startAt[s]!);

  let timer: NodeJS.Timeout | undefined;
  if (o.progress) {
    let last = { t: start, n: 0 };
    timer = setInterval(() => {
      const now = performance.now();
      const n = perSender.reduce((a, b) => a + b, 0);
      const rate = ((n - last.n) * o.samplesPerBatch) / ((now - last.t) / 1000);
      console.log(`    ${o.label}: ${((now - start) / 1000).toFixed(0)} s, ${n} batches, ${fmtRate(rate)} samples/s`);
      last = { t: now, n };
    }, 5000);
  }
  try {
    await Promise.all(
      perSender.map(async (_, s) => {
        while (perSender[s]! < limit(s) && performance.now() < deadline) {
          latenciesMs.push(await send(s, o.startAt[s]! + perSender[s]!));
          perSender[s]!++;
        }
      }),
    );
  } finally {
    clearInterval(timer);
  }
  const batches = perSender.reduce((a, b) => a + b, 0);
  return { perSender, batches, seconds: (performance.now() - start) / 1000, latenciesMs };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const fmtRate = (n: number) => Math.round(n).toLocaleString('en-US');
