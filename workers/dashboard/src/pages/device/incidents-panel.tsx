import { useEffect, useState } from 'preact/hooks';
import type { IncidentView } from '../../../../../schema/wire/alerts.ts';
import { errorMessage } from '../../page-state.ts';
import { alertsApi } from '../alerts/api.ts';
import { IncidentTable } from '../alerts/incident-table.tsx';
import { useIncidentUpdates } from '../alerts/live-incidents.ts';
import '../alerts/alerts.css';

const SHOWN = 10;

/** The device's latest incidents, open or resolved, newest first, linking to each and to all of them. */
export function IncidentsPanel({ deviceId, orgId }: { deviceId: string; orgId: string }) {
  const [items, setItems] = useState<IncidentView[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const load = (signal?: AbortSignal) =>
    alertsApi.incidents({ deviceId, state: 'all' }, null, signal, SHOWN).then(
      (page) => {
        setItems(page.items);
        setMore(page.nextCursor !== null);
        setError(null);
      },
      (err: unknown) => {
        if (!signal?.aborted) setError(err);
      },
    );
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [deviceId]);
  useIncidentUpdates(orgId, () => void load(), deviceId);

  const all = `/alerts?state=all&deviceId=${encodeURIComponent(deviceId)}`;
  return (
    <section class="card device-incidents" aria-labelledby="device-incidents-title" data-testid="device-incidents">
      <h2 id="device-incidents-title">Incidents</h2>
      {error ? (
        <p class="form-error" role="alert">
          Could not load incidents: {errorMessage(error)}
        </p>
      ) : items === null ? (
        <p class="muted">Loading incidents…</p>
      ) : items.length === 0 ? (
        <p class="muted" data-testid="device-incidents-empty">
          No incidents on this device. <a href="/alerts/rules">Alert rules</a> decide what opens one.
        </p>
      ) : (
        <>
          <IncidentTable incidents={items} />
          <p class="hint">
            <a href={all}>{more ? 'All incidents of this device' : 'Open in the incidents list'}</a>
          </p>
        </>
      )}
    </section>
  );
}
