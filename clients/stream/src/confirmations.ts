import type { ErrorFrame, SubscriptionId } from './protocol.ts';

/** Why a subscription's promise rejected: the server's `error` frame, when it refused it. */
export class SubscriptionError extends Error {
  readonly id: SubscriptionId;
  readonly frame: ErrorFrame | undefined;

  constructor(id: SubscriptionId, message: string, frame?: ErrorFrame) {
    super(`subscription ${JSON.stringify(id)}: ${message}`);
    this.name = 'SubscriptionError';
    this.id = id;
    this.frame = frame;
  }
}

interface Waiter {
  resolve(): void;
  reject(err: SubscriptionError): void;
}

/**
 * The promises `subscribe()` returns, by subscription id: settled by the server's
 * `subscribed` or `error` frame for that id, or rejected when the caller gives up on it.
 */
export function confirmations() {
  const waiters = new Map<SubscriptionId, Waiter>();

  const settle = (id: SubscriptionId, err?: SubscriptionError): boolean => {
    const w = waiters.get(id);
    if (!w) return false;
    waiters.delete(id);
    if (err) w.reject(err);
    else w.resolve();
    return true;
  };

  /** Callers that never await must not see an unhandled rejection, so each promise is pre-handled. */
  const handled = (p: Promise<void>) => {
    p.catch(() => undefined);
    return p;
  };

  return {
    /** A new promise for `id`; one still waiting for the same id is rejected as replaced. */
    expect(id: SubscriptionId): Promise<void> {
      settle(id, new SubscriptionError(id, 'replaced by a newer subscribe() with the same id'));
      return handled(new Promise<void>((resolve, reject) => waiters.set(id, { resolve, reject })));
    },
    confirm: (id: SubscriptionId): void => void settle(id),
    /** Rejects with the server's refusal; true when a subscription was waiting for it. */
    refuse: (id: SubscriptionId, frame: ErrorFrame): boolean =>
      settle(id, new SubscriptionError(id, `${frame.code}: ${frame.message}`, frame)),
    drop: (id: SubscriptionId, why: string): void => void settle(id, new SubscriptionError(id, why)),
    dropAll(why: string): void {
      for (const id of [...waiters.keys()]) settle(id, new SubscriptionError(id, why));
    },
    closed: (id: SubscriptionId): Promise<void> =>
      handled(Promise.reject(new SubscriptionError(id, 'the client is closed'))),
  };
}
