import { signal, type Signal } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import { call } from '../api.ts';

/** One cached API read: its data, error and whether a request is in flight. */
export interface Resource<T> {
  data: Signal<T | undefined>;
  error: Signal<unknown>;
  loading: Signal<boolean>;
  /** Fetches again (keeps showing the old data meanwhile). */
  refetch(): Promise<void>;
}

interface Entry extends Resource<unknown> {
  users: number;
  fetchedAt: number;
}

const cache = new Map<string, Entry>();
/** Called when any read answers 401: the app returns to the sign-in form. */
let onUnauthenticated: () => void = () => undefined;

/** Lets the app core decide what a 401 means (back to sign-in). */
export function onDataUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/** For reads outside the cache: a 401 means the session is gone, as for cached reads. */
export function reportUnauthenticated(): void {
  onUnauthenticated();
}

function entryFor(path: string): Entry {
  const entry = cache.get(path);
  if (entry) return entry;
  const created: Entry = {
    data: signal(undefined),
    error: signal(undefined),
    loading: signal(false),
    users: 0,
    fetchedAt: 0,
    async refetch() {
      created.loading.value = true;
      try {
        created.data.value = await call('GET', path);
        created.error.value = undefined;
        created.fetchedAt = Date.now();
      } catch (err) {
        created.error.value = err;
        if ((err as { status?: number }).status === 401) onUnauthenticated();
      } finally {
        created.loading.value = false;
      }
    },
  };
  cache.set(path, created);
  return created;
}

// A read younger than this is served from the cache when another component asks for it.
const FRESH_MS = 10_000;

/**
 * A GET of the public API (`path` with its query), shared by every component that reads the
 * same path and refetched when the window regains focus. Returns signals, so only what reads
 * them re-renders.
 */
export function useResource<T>(path: string | null): Resource<T> {
  const entry = useMemo(() => (path ? entryFor(path) : null), [path]);
  useEffect(() => {
    if (!entry) return;
    entry.users += 1;
    if (Date.now() - entry.fetchedAt > FRESH_MS && !entry.loading.value) void entry.refetch();
    return () => {
      entry.users -= 1;
    };
  }, [entry]);
  return (entry ?? EMPTY) as Resource<T>;
}

const EMPTY: Resource<never> = {
  data: signal(undefined),
  error: signal(undefined),
  loading: signal(false),
  refetch: async () => undefined,
};

/** Forgets every cached read (sign-out, organisation switch). */
export function clearData(): void {
  cache.clear();
}

/** Starts refetching the reads in use when the window regains focus. */
export function startData(): void {
  window.addEventListener('focus', () => {
    for (const entry of cache.values()) if (entry.users > 0 && !entry.loading.value) void entry.refetch();
  });
}
