import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.ts';
import { FormMessage } from '../../app/form-messages.tsx';
import type { StreamEvent } from '../../../../../schema/wire/stream.ts';
import { fetchEvents, filtersFromSearch, searchFromFilters, toIso, type EventFilters } from './api.ts';
import { EventRow } from './event-row.tsx';
import { EventFilterForm } from './filter-form.tsx';
import { eventPatterns, useFollowEvents } from './follow-events.ts';
import './events.css';

const DAY = 86_400_000;

/** Keeps one copy per id (replay and paging can overlap) in timeline order. */
function merge(a: StreamEvent[], b: StreamEvent[]): StreamEvent[] {
  const byId = new Map(a.map((e) => [e.id, e]));
  for (const e of b) byId.set(e.id, e);
  return [...byId.values()].sort((x, y) => x.ts - y.ts || (x.id < y.id ? -1 : 1));
}

/** Live events are filtered here by what the stream pattern cannot express. */
function matches(e: StreamEvent, f: EventFilters): boolean {
  if (f.type && e.type !== f.type) return false;
  if (f.correlationId && e.correlationId !== f.correlationId) return false;
  if (f.to && e.ts >= new Date(toIso(f.to)).getTime()) return false;
  return true;
}

/**
 * `/events`: the event log as a timeline, oldest first, filtered by subject pattern, type,
 * time range and correlation id (all in the URL), paged with "load more", and optionally
 * followed live ("replay then live": the stream replays from the range's start and continues).
 */
export function EventsPage(_props: object) {
  const [filters, setFilters] = useState<EventFilters>(() => filtersFromSearch(location.search));
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const [liveIds, setLiveIds] = useState<Set<string>>(new Set());
  const [cursor, setCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'more'>('loading');
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [live, setLive] = useState(false);
  const [orgId, setOrgId] = useState<string | null>(null);
  // Without a start the first page would be the oldest events ever: default to the last day.
  const effective = useMemo(
    () => ({ ...filters, from: filters.from ?? new Date(Date.now() - DAY).toISOString() }),
    [filters],
  );

  useEffect(() => {
    api.me().then(
      (me) => setOrgId(me.orgId),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    setStatus('loading');
    setError(null);
    fetchEvents(effective, null, ctl.signal).then(
      (page) => {
        setEvents(page.events);
        setLiveIds(new Set());
        setCursor(page.nextCursor);
        setStatus('ready');
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setEvents([]);
        setStatus('ready');
      },
    );
    return () => ctl.abort();
  }, [effective]);

  // Followed on the app's shared stream connection; a custom pattern is used as typed.
  const custom = filters.subject?.trim();
  const patterns = useMemo(
    () => (live && orgId ? (custom ? [custom] : eventPatterns(orgId)) : null),
    [live, orgId, custom],
  );
  const fromTs = useMemo(() => {
    const ts = /^\d+$/.test(effective.from) ? Number(effective.from) : new Date(toIso(effective.from)).getTime();
    return Number.isNaN(ts) ? Date.now() - DAY : ts;
  }, [effective]);
  const onEvent = useCallback(
    (event: StreamEvent, replayed: boolean) => {
      if (!matches(event, filters)) return;
      setEvents((old) => merge(old, [event]));
      if (!replayed) setLiveIds((old) => new Set(old).add(event.id));
    },
    [filters],
  );
  const liveState = useFollowEvents(patterns, fromTs, onEvent);

  const apply = (next: EventFilters) => {
    history.replaceState(history.state, '', `${location.pathname}${searchFromFilters(next)}`);
    setFilters(next);
  };

  const loadMore = () => {
    if (!cursor) return;
    setStatus('more');
    fetchEvents(effective, cursor).then(
      (page) => {
        setEvents((old) => merge(old, page.events));
        setCursor(page.nextCursor);
        setStatus('ready');
      },
      (err: unknown) => {
        setError(err instanceof Error ? err : new Error(String(err)));
        setStatus('ready');
      },
    );
  };

  return (
    <main class="page events-page" aria-busy={status === 'loading'}>
      <h1>Events</h1>
      <EventFilterForm filters={filters} error={error instanceof ApiError ? error : null} onApply={apply} />
      <div class="events-toolbar">
        <label class="events-live-toggle">
          <input
            type="checkbox"
            checked={live}
            disabled={!orgId}
            onChange={(e) => setLive((e.target as HTMLInputElement).checked)}
            data-testid="events-live"
          />{' '}
          Follow live (replay from the start of the range, then live)
        </label>
        {live && liveState && (
          <span class={`live-state live-state-${liveState.state}`} data-testid="events-live-state" role="status">
            {liveState.state}
            {liveState.detail ? `: ${liveState.detail}` : ''}
          </span>
        )}
      </div>
      <FormMessage error={error} prefix="Could not load events: " testId="events-error" />
      {status === 'loading' ? (
        <p class="muted" data-testid="events-loading">
          Loading events…
        </p>
      ) : events.length === 0 && !error ? (
        <p class="empty" data-testid="events-empty">
          No events match these filters{filters.from ? '' : ' in the last 24 hours'}.
        </p>
      ) : (
        <ol class="event-list" data-testid="event-list">
          {events.map((e) => (
            <EventRow
              key={e.id}
              event={e}
              live={liveIds.has(e.id)}
              onCorrelate={(id) => apply({ correlationId: id })}
            />
          ))}
        </ol>
      )}
      {cursor && status !== 'loading' && (
        <button type="button" onClick={loadMore} disabled={status === 'more'} data-testid="events-more">
          {status === 'more' ? 'Loading…' : 'Load more'}
        </button>
      )}
    </main>
  );
}
