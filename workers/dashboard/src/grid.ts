import { isUnauthenticated } from './api.ts';
import { h } from './dom.ts';
import { errorMessage, type formMessage, type ListStatus, type PageContext } from './page-state.ts';

/** A `grid` table with one header row; rows go into `body`. Hidden until there is something to show. */
export function gridTable(
  testId: string,
  headers: readonly string[],
  body: HTMLTableSectionElement,
  className = 'grid',
): HTMLTableElement {
  return h(
    'table',
    { class: className, 'data-testid': testId, hidden: true },
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', {}, t)))),
    body,
  );
}

/**
 * Loads a list into a grid: rows on success, the empty text when there are none, the error
 * in `status` otherwise; a signed-out answer goes back to sign-in.
 */
export function listLoader<T>(opts: {
  ctx: PageContext;
  status: ListStatus;
  table: HTMLTableElement;
  body: HTMLTableSectionElement;
  fetch: (signal: AbortSignal) => Promise<T[]>;
  row: (item: T) => HTMLTableRowElement;
  empty: string;
  what: string;
}): () => Promise<void> {
  return async function load() {
    try {
      const items = await opts.fetch(opts.ctx.signal);
      opts.body.replaceChildren(...items.map(opts.row));
      opts.table.hidden = items.length === 0;
      opts.status.count(items.length, opts.empty);
    } catch (err) {
      if (opts.ctx.signal.aborted) return;
      if (isUnauthenticated(err)) return opts.ctx.onUnauthenticated();
      opts.table.hidden = true;
      opts.status.error(err, opts.what);
    }
  };
}

/** Reports a failed action in the page's message line, or goes back to sign-in when signed out. */
export function failureReporter(ctx: PageContext, message: ReturnType<typeof formMessage>) {
  return (err: unknown, what: string): void => {
    if (isUnauthenticated(err)) return ctx.onUnauthenticated();
    message.error(`${what}: ${errorMessage(err)}`);
  };
}
