import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AlertRuleView, IncidentView } from '../../../../../schema/wire/alerts.ts';
import type { Access } from '../../app/access.ts';
import { location$, navigate } from '../../app/router.ts';
import { errorMessage } from '../../page-state.ts';
import { alertsApi, incidentFiltersFrom, incidentSearch, type IncidentFilters } from './api.ts';
import { AlertsTabs, useDevices } from './bits.tsx';
import { IncidentTable } from './incident-table.tsx';
import { useIncidentUpdates } from './live-incidents.ts';
import './alerts.css';

const PAGE = 50;

/**
 * `/alerts`: incidents, newest first, filtered by state, severity, acknowledgement, device,
 * rule and site (all in the URL), paged with "load more", refreshed as incidents change.
 */
export function IncidentsPage({ access }: { access: Access }) {
  const search = location$.value.search;
  const filters = useMemo(() => incidentFiltersFrom(search), [search]);
  const devices = useDevices();
  const [rules, setRules] = useState<AlertRuleView[] | null>(null);
  const [items, setItems] = useState<IncidentView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'more'>('loading');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    alertsApi.rules().then(setRules, () => setRules([]));
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    setStatus('loading');
    setError(null);
    alertsApi.incidents(filters, null, ctl.signal, PAGE).then(
      (page) => {
        setItems(page.items);
        setCursor(page.nextCursor);
        setStatus('ready');
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setError(err);
        setItems([]);
        setStatus('ready');
      },
    );
    return () => ctl.abort();
  }, [filters]);

  // A refresh re-reads as many as are shown, so "load more" pages stay in place.
  useIncidentUpdates(access.me.orgId, () => {
    if (status !== 'ready') return;
    alertsApi.incidents(filters, null, undefined, Math.min(200, Math.max(PAGE, items.length))).then(
      (page) => {
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(null);
      },
      () => undefined,
    );
  });

  const apply = (change: Partial<IncidentFilters>) => {
    const next = { ...filters, ...change };
    for (const key of Object.keys(next) as (keyof IncidentFilters)[]) if (!next[key]) delete next[key];
    navigate(`/alerts${incidentSearch(next)}`, true);
  };
  const loadMore = () => {
    if (!cursor) return;
    setStatus('more');
    alertsApi.incidents(filters, cursor, undefined, PAGE).then(
      (page) => {
        setItems((old) => [...old, ...page.items.filter((i) => !old.some((o) => o.id === i.id))]);
        setCursor(page.nextCursor);
        setStatus('ready');
      },
      (err: unknown) => {
        setError(err);
        setStatus('ready');
      },
    );
  };
  const select = (key: keyof IncidentFilters, label: string, options: [string, string][], any = 'Any') => (
    <label>
      {label}
      <select
        value={filters[key] ?? ''}
        onChange={(e) => apply({ [key]: e.currentTarget.value || undefined })}
        data-testid={`incidents-filter-${key}`}
      >
        <option value="">{any}</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  const sites = [...new Set((devices ?? []).map((d) => d.siteId).filter((s): s is string => !!s))].sort();

  return (
    <main class="page alerts-page" aria-busy={status === 'loading'}>
      <h1>Alerts</h1>
      <AlertsTabs current="incidents" access={access} />
      <section class="card" aria-labelledby="incidents-title">
        <h2 id="incidents-title">Incidents</h2>
        <form class="alerts-filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter incidents">
          {select(
            'state',
            'State',
            [
              ['firing', 'Firing'],
              ['pending', 'Pending'],
              ['resolved', 'Resolved'],
              ['all', 'All, resolved too'],
            ],
            'Open (pending or firing)',
          )}
          {select('severity', 'Severity', [
            ['critical', 'Critical'],
            ['warning', 'Warning'],
          ])}
          {select('acknowledged', 'Acknowledged', [
            ['false', 'Not acknowledged'],
            ['true', 'Acknowledged'],
          ])}
          {select(
            'deviceId',
            'Device',
            (devices ?? []).map((d) => [d.id, d.name]),
          )}
          {select(
            'ruleId',
            'Rule',
            (rules ?? []).map((r) => [r.id, r.name]),
          )}
          {select(
            'siteId',
            'Site',
            sites.map((s) => [s, s]),
          )}
        </form>
        {status === 'loading' ? (
          <p class="muted" role="status" data-testid="incidents-loading">
            Loading incidents…
          </p>
        ) : error ? (
          <p class="form-error" role="alert" data-testid="incidents-error">
            Could not load incidents: {errorMessage(error)}
          </p>
        ) : items.length === 0 ? (
          <p class="empty" data-testid="incidents-empty">
            {Object.keys(filters).length
              ? 'No incident matches these filters.'
              : 'No open incidents. When a rule fires, its incident appears here within seconds.'}
          </p>
        ) : (
          <IncidentTable incidents={items} devices={devices} />
        )}
        {cursor && status !== 'loading' && (
          <button type="button" onClick={loadMore} disabled={status === 'more'} data-testid="incidents-more">
            {status === 'more' ? 'Loading…' : 'Load more'}
          </button>
        )}
      </section>
    </main>
  );
}
