import { MAX_CREDIT } from './protocol.ts';

/**
 * Credit accounting for one connection. The client keeps at most `window` credits granted;
 * once half of them are used it tops the grant up again, so the server can keep sending
 * while the grant is in flight, without ever holding more than `window` frames' worth.
 */
export interface CreditWindow {
  /** Credits to send in `hello` (the connection starts from zero). */
  readonly initial: number;
  /** Credits the server may still spend. */
  readonly outstanding: number;
  /** Frames received beyond the grant: a server bug, counted rather than thrown. */
  readonly overruns: number;
  /** A data or event frame arrived; it spends one credit. */
  received(): void;
  /** The caller finished with a frame. Returns the credits to grant now, or 0. */
  consumed(): number;
}

/** `window` is clamped to 1..10,000, the range one `credit` frame may carry. */
export function creditWindow(window: number): CreditWindow {
  const size = Math.max(1, Math.min(MAX_CREDIT, Math.floor(window)));
  // Refill at half the window, but at least one, so a window of 1 still works.
  const threshold = Math.max(1, Math.floor(size / 2));
  let outstanding = size;
  let pending = 0; // consumed since the last grant
  let inHand = 0; // received, not yet consumed
  let overruns = 0;
  return {
    initial: size,
    get outstanding() {
      return outstanding;
    },
    get overruns() {
      return overruns;
    },
    received() {
      if (outstanding === 0) overruns += 1;
      else outstanding -= 1;
      inHand += 1;
    },
    consumed() {
      if (inHand === 0) return 0;
      inHand -= 1;
      pending += 1;
      if (pending < threshold) return 0;
      // Never let the grant exceed the window, whatever the server did.
      const grant = Math.min(pending, size - outstanding);
      pending = 0;
      outstanding += grant;
      return grant;
    },
  };
}
