import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../page-state.ts';

/**
 * Loads a list (or one record) when `deps` change, aborting the previous request; `reload` fetches
 * again without clearing what is shown, so a list does not flash "Loading" after an action.
 */
export function useLoaded<T>(load: (signal?: AbortSignal) => Promise<T>, deps: readonly unknown[]) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = (signal?: AbortSignal) =>
    load(signal).then(
      (v) => {
        setValue(v);
        setError(null);
      },
      (err: unknown) => {
        if (!signal?.aborted) setError(err);
      },
    );
  useEffect(() => {
    const ctl = new AbortController();
    setValue(null);
    void reload(ctl.signal);
    return () => ctl.abort();
  }, deps);
  return { value, error, reload };
}

/**
 * The body of a list card: the load error, "Loading…", the empty note, or the table in its
 * scrolling box. `noun` is the plural the messages name ("rules").
 */
export function ListState<T>(props: {
  items: readonly T[] | null;
  error: unknown;
  noun: string;
  errorTestId: string;
  emptyTestId: string;
  empty: ComponentChildren;
  children: (items: readonly T[]) => ComponentChildren;
}) {
  const { items, error, noun } = props;
  if (error) {
    return (
      <p class="form-error" role="alert" data-testid={props.errorTestId}>
        Could not load {noun}: {errorMessage(error)}
      </p>
    );
  }
  if (items === null) return <p class="muted">Loading {noun}…</p>;
  if (items.length === 0) {
    return (
      <p class="empty" data-testid={props.emptyTestId}>
        {props.empty}
      </p>
    );
  }
  return <div class="table-scroll">{props.children(items)}</div>;
}
