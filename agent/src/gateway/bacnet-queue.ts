/**
 * Orders a reader's requests: one at a time per device (slow controllers fall further behind
 * when asked twice at once), and at most `maxInFlight` across devices. The BACnet library matches
 * answers to requests by an 8-bit invoke id alone, so more than 256 requests in flight on one
 * socket would hand one object's answer to another.
 */
export interface RequestQueue {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createRequestQueue(maxInFlight: number): RequestQueue {
  const tails = new Map<string, Promise<unknown>>();
  const waiting: (() => void)[] = [];
  let inFlight = 0;

  const acquire = (): Promise<void> => {
    if (inFlight < maxInFlight) {
      inFlight++;
      return Promise.resolve();
    }
    // The releasing request hands its slot over, so `inFlight` stays as it is.
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };
  const gated = async <T>(work: () => Promise<T>): Promise<T> => {
    await acquire();
    try {
      return await work();
    } finally {
      release();
    }
  };

  return {
    run(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      const next = previous.then(() => gated(work));
      const tail = next.catch(() => {});
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return next;
    },
  };
}
