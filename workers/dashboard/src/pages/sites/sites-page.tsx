import { useState } from 'preact/hooks';
import type { Access } from '../../app/access.ts';
import { ListState, useLoaded } from '../../app/list-shell.tsx';
import { navigate } from '../../app/router.ts';
import { TableHead } from '../../app/table-head.tsx';
import { formError, type FormError } from '../device/field-error.ts';
import { sitesApi, type SiteBody, type SiteView } from './api.ts';
import { SitesTabs } from './bits.tsx';
import { SiteForm } from './site-form.tsx';
import '../alerts/alerts.css';
import './sites.css';

/** Every site with its controllers counted by status: one request. */
const loadSites = (signal?: AbortSignal): Promise<SiteView[]> => sitesApi.sites(signal);

/** `/sites`: the organisation's buildings; members create one. */
export function SitesPage({ access }: { access: Access }) {
  const { value: sites, error } = useLoaded(loadSites, []);
  const canWrite = access.can('sites.write');
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState(false);
  const [formErr, setFormErr] = useState<FormError | null>(null);

  const create = (body: SiteBody) => {
    setBusy(true);
    setFormErr(null);
    sitesApi
      .createSite(body)
      .then(
        (s) => navigate(`/sites/${encodeURIComponent(s.id)}`),
        (err: unknown) => setFormErr(formError(err)),
      )
      .finally(() => setBusy(false));
  };

  return (
    <main class="page alerts-page sites-page" aria-busy={sites === null && !error}>
      <h1>Sites</h1>
      <SitesTabs current="sites" />
      {canWrite && (
        <section class="card" aria-labelledby="site-new-title">
          <div class="card-head">
            <h2 id="site-new-title">New site</h2>
            {!creating && (
              <button type="button" class="primary" onClick={() => setCreating(true)} data-testid="site-new">
                New site
              </button>
            )}
          </div>
          {creating && <SiteForm site={null} busy={busy} error={formErr} submitLabel="Create site" onSubmit={create} />}
        </section>
      )}
      <section class="card" aria-labelledby="sites-title">
        <h2 id="sites-title">Buildings</h2>
        <ListState
          items={sites}
          error={error}
          noun="sites"
          errorTestId="sites-error"
          emptyTestId="sites-empty"
          empty={
            <>
              No sites yet.
              {canWrite ? ' Create one, then enroll a gateway with a gateway enrollment token of the site.' : ''}
            </>
          }
        >
          {(sites) => (
            <table class="grid" data-testid="site-list">
              <TableHead columns={['Name', 'Address', 'Time zone', 'Gateways', 'Controllers']} actions={false} />
              <tbody>
                {sites.map((s) => (
                  <tr key={s.id} data-testid="site-row" data-id={s.id}>
                    <td>
                      <a href={`/sites/${encodeURIComponent(s.id)}`} data-testid="site-link">
                        {s.name}
                      </a>
                    </td>
                    <td>{s.address ?? '—'}</td>
                    <td>{s.timeZone}</td>
                    <td data-testid="site-gateways">
                      {s.gateways.length === 0
                        ? 'none'
                        : s.gateways.map((g, i) => (
                            <span key={g.id}>
                              {i > 0 && ', '}
                              <a href={`/devices/${encodeURIComponent(g.id)}`}>{g.name}</a> ({g.status})
                            </span>
                          ))}
                    </td>
                    <td data-testid="site-controllers">
                      {s.controllerCount} ({s.controllerStatus.online} online, {s.controllerStatus.offline} offline
                      {s.controllerStatus.unknown ? `, ${s.controllerStatus.unknown} unknown` : ''})
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </ListState>
      </section>
    </main>
  );
}
