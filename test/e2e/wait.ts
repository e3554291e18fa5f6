import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` every 250 ms until it returns something other than undefined, or throws after
 * `ms` with `what` and whatever `context()` adds (an agent's log, say) to explain the wait.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}
