import type { Socket } from 'node:net';

export interface ProbeGuardOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** The result's error when the timeout fires first. */
  timeoutMessage: string;
}

/**
 * Settles a probe's socket exactly once: `finish(error?)` resolves with `result(error)`, the
 * timeout finishes with `timeoutMessage`, and an abort rejects with the signal's reason. The
 * socket is destroyed and the timer and abort listener removed whichever comes first.
 */
export function guardProbe<R>(
  socket: Socket,
  options: ProbeGuardOptions,
  settle: { resolve: (r: R) => void; reject: (reason: unknown) => void; result: (error?: string) => R },
): (error?: string) => void {
  let settled = false;
  const end = () => {
    settled = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  };
  const finish = (error?: string) => {
    if (settled) return;
    end();
    settle.resolve(settle.result(error));
  };
  const onAbort = () => {
    if (settled) return;
    end();
    settle.reject(options.signal!.reason);
  };
  const timer = setTimeout(() => finish(options.timeoutMessage), options.timeoutMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return finish;
}
