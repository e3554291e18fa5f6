import type { StreamPrincipals } from '../../services/streams/close.ts';
import type { StreamPrincipal } from '../../services/streams/principal.ts';

/** How long a withdrawal is remembered: far longer than a connect takes from auth to the hub. */
const REMEMBER_MS = 5 * 60_000;
/** Bounds the memory a burst of withdrawals can take; the oldest are forgotten first. */
const MAX_ENTRIES = 10_000;

/**
 * Recent withdrawals, so a connect that was authenticated before a withdrawal but reaches the
 * hub after `closeStreams` ran is refused rather than left open. In memory only: the race it
 * closes lasts milliseconds, far less than it takes the hub to be evicted.
 */
export class Withdrawals {
  // Insertion order is time order, so pruning stops at the first fresh entry.
  readonly #credentials = new Map<string, number>();
  readonly #users = new Map<string, number>();

  /** Remembers that these principals' access was withdrawn at `now`. */
  record(who: StreamPrincipals, now: number): void {
    for (const id of who.credentialIds ?? []) remember(this.#credentials, id, now);
    for (const id of who.userIds ?? []) remember(this.#users, id, now);
  }

  /**
   * True when `p` must not connect: its credential or its user was withdrawn at or after the
   * time the Worker authenticated the request. A request authenticated later passed the
   * Worker's checks against the changed state (a user whose role was lowered is let back in).
   */
  refuses(p: StreamPrincipal, now: number): boolean {
    prune(this.#credentials, now);
    prune(this.#users, now);
    const credentialAt = this.#credentials.get(p.credentialId);
    if (credentialAt !== undefined && p.authAt <= credentialAt) return true;
    const userAt = p.userId === null ? undefined : this.#users.get(p.userId);
    return userAt !== undefined && p.authAt <= userAt;
  }
}

function remember(map: Map<string, number>, id: string, now: number): void {
  map.delete(id);
  map.set(id, now);
  if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
}

function prune(map: Map<string, number>, now: number): void {
  for (const [id, at] of map) {
    if (now - at < REMEMBER_MS) return;
    map.delete(id);
  }
}
