import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { TableHead } from '../../app/table-head.tsx';
import { errorMessage } from '../../page-state.ts';
import { when } from '../alerts/bits.tsx';
import { webhooksApi, type DeliveryDetail, type DeliveryView } from './api.ts';

/** While a shown delivery is still pending, the log re-reads this often (deliveries are not on the stream). */
const PENDING_POLL_MS = 2000;
const PAGE = 25;

/** One delivery's attempts: time, HTTP status, latency, error and the start of the answer. */
function Attempts({ id }: { id: string }) {
  const [detail, setDetail] = useState<DeliveryDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    webhooksApi.delivery(id, ctl.signal).then(setDetail, (err: unknown) => {
      if (!ctl.signal.aborted) setError(errorMessage(err));
    });
    return () => ctl.abort();
  }, [id]);
  if (error) return <p class="form-error">Could not load the attempts: {error}</p>;
  if (!detail) return <p class="muted">Loading attempts…</p>;
  return (
    <div class="attempts">
      <p class="hint">
        webhook-id <code>{detail.id}</code>
      </p>
      {detail.attemptLog.length === 0 ? (
        <p class="muted">No attempt yet: it is queued.</p>
      ) : (
        <ol data-testid="delivery-attempts">
          {detail.attemptLog.map((a, i) => (
            <li key={i} data-testid="delivery-attempt">
              {when(a.at)}: {a.status === null ? 'no answer' : `HTTP ${a.status}`}
              {a.latencyMs === null ? '' : ` in ${a.latencyMs} ms`}
              {a.error ? ` (${a.error})` : ''}
              {a.responseExcerpt ? <pre>{a.responseExcerpt}</pre> : null}
            </li>
          ))}
        </ol>
      )}
      {detail.body && (
        <details>
          <summary>Body sent</summary>
          <pre>{detail.body}</pre>
        </details>
      )}
    </div>
  );
}

/**
 * A channel's delivery log, newest first: state, attempts, the incident it was about; each
 * opens to its attempts and can be sent again. `version` changes when the page queued a
 * delivery (a test), so the log re-reads at once.
 */
export function DeliveryLog({ webhookId, version }: { webhookId: string; version: number }) {
  const [items, setItems] = useState<DeliveryView[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const shown = useRef(PAGE);

  const reload = (signal?: AbortSignal) =>
    webhooksApi.deliveries(webhookId, null, signal, Math.min(200, shown.current)).then(
      (page) => {
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(null);
      },
      (err: unknown) => {
        if (!signal?.aborted) setError(err);
      },
    );
  useEffect(() => {
    const ctl = new AbortController();
    void reload(ctl.signal);
    return () => ctl.abort();
  }, [webhookId, version]);

  const pending = items?.some((d) => d.state === 'pending') ?? false;
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => void reload(), PENDING_POLL_MS);
    return () => clearInterval(timer);
  }, [pending, webhookId]);

  const more = () => {
    if (!cursor) return;
    webhooksApi.deliveries(webhookId, cursor, undefined, PAGE).then(
      (page) => {
        setItems((old) => [...(old ?? []), ...page.items]);
        shown.current += page.items.length;
        setCursor(page.nextCursor);
      },
      (err: unknown) => setError(err),
    );
  };
  const redeliver = (id: string) => {
    setNotice(null);
    webhooksApi.redeliver(id).then(
      () => {
        setNotice('Queued again with the same webhook-id, so the receiver can tell it is the same message.');
        void reload();
      },
      (err: unknown) => setNotice(`Could not redeliver: ${errorMessage(err)}`),
    );
  };
  const toggle = (id: string) => {
    const next = new Set(open);
    if (!next.delete(id)) next.add(id);
    setOpen(next);
  };

  return (
    <section class="card" aria-labelledby="deliveries-title" data-testid="delivery-log">
      <h2 id="deliveries-title">Delivery log</h2>
      {notice && (
        <p role="status" data-testid="delivery-notice">
          {notice}
        </p>
      )}
      {error ? (
        <p class="form-error" role="alert">
          Could not load deliveries: {errorMessage(error)}
        </p>
      ) : items === null ? (
        <p class="muted">Loading deliveries…</p>
      ) : items.length === 0 ? (
        <p class="empty" data-testid="deliveries-empty">
          Nothing sent yet. Send a test to check the receiver.
        </p>
      ) : (
        <div class="table-scroll">
          <table class="grid" data-testid="delivery-list">
            <TableHead columns={['Queued', 'Event', 'State', 'Attempts', 'Last attempt']} />
            <tbody>
              {items.map((d) => (
                <Fragment key={d.id}>
                  <tr data-testid="delivery-row" data-id={d.id} data-state={d.state}>
                    <td class="nowrap">{when(d.createdAt)}</td>
                    <td>
                      <code>{d.eventType}</code>
                      {d.repeat && <span class="hint"> (repeat)</span>}
                      {d.incidentId && (
                        <div class="hint">
                          <a href={`/incidents/${encodeURIComponent(d.incidentId)}`}>incident</a>
                        </div>
                      )}
                    </td>
                    <td>
                      <span class={`badge delivery-${d.state}`} data-testid="delivery-state">
                        {d.state}
                      </span>
                    </td>
                    <td>{d.attempts}</td>
                    <td class="nowrap">{when(d.lastAttemptAt)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="device-secondary"
                        aria-expanded={open.has(d.id)}
                        onClick={() => toggle(d.id)}
                        data-testid="delivery-toggle"
                      >
                        Attempts
                      </button>
                      {d.state !== 'pending' && (
                        <button
                          type="button"
                          class="device-secondary"
                          onClick={() => redeliver(d.id)}
                          data-testid="delivery-redeliver"
                        >
                          Redeliver
                        </button>
                      )}
                    </td>
                  </tr>
                  {open.has(d.id) && (
                    <tr>
                      <td colSpan={6}>
                        <Attempts key={`${d.id}-${d.attempts}-${d.state}`} id={d.id} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="device-secondary" onClick={more} data-testid="deliveries-more">
          Load more
        </button>
      )}
    </section>
  );
}
