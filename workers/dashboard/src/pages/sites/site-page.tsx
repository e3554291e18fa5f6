import { useEffect, useState } from 'preact/hooks';
import type { Access } from '../../app/access.ts';
import { DetailLoading } from '../../app/detail-page.tsx';
import { useLoaded } from '../../app/list-shell.tsx';
import { formError, type FormError } from '../device/field-error.ts';
import { sitesApi, type SiteBody } from './api.ts';
import { SitesTabs } from './bits.tsx';
import { ControllersCard } from './controllers-card.tsx';
import { PointsTable } from './points-table.tsx';
import { SiteForm } from './site-form.tsx';
import '../alerts/alerts.css';
import '../device/device.css';
import './sites.css';

/** `/sites/:id`: a building's details, gateways, controllers and points. */
export function SitePage({ id, access }: { id: string; access: Access }) {
  const loaded = useLoaded(
    (signal) => Promise.all([sitesApi.site(id, signal), sitesApi.controllers(id, signal)]),
    [id],
  );
  // Controllers come and go (discovery) and change status: read them again every 15 s. Point
  // values are not read this way: they arrive on the stream.
  useEffect(() => {
    const timer = setInterval(() => void loaded.reload(), 15_000);
    return () => clearInterval(timer);
  }, [id]);
  const canWrite = access.can('sites.write');
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  const tabs = <SitesTabs current="sites" />;
  if (!loaded.value) return <DetailLoading error={loaded.error} what="site" testId="site-error" tabs={tabs} />;
  const [site, controllers] = loaded.value;

  const save = (body: SiteBody) => {
    setBusy(true);
    setError(null);
    sitesApi
      .updateSite(id, body)
      .then(
        () => {
          setEditing(false);
          void loaded.reload();
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };

  return (
    <main class="page alerts-page sites-page" data-testid="site-page">
      <h1 data-testid="site-name">{site.name}</h1>
      {tabs}
      <section class="card" aria-labelledby="site-details-title">
        <div class="card-head">
          <h2 id="site-details-title">Details</h2>
          {canWrite && !editing && (
            <button type="button" class="device-secondary" onClick={() => setEditing(true)} data-testid="site-edit">
              Edit
            </button>
          )}
        </div>
        {editing ? (
          <SiteForm site={site} busy={busy} error={error} submitLabel="Save site" onSubmit={save} />
        ) : (
          <dl class="site-facts" data-testid="site-facts">
            <dt>Address</dt>
            <dd>{site.address ?? '—'}</dd>
            <dt>Time zone</dt>
            <dd>{site.timeZone}</dd>
            <dt>Discovery</dt>
            <dd>
              {site.discovery.enabled
                ? `every ${site.discovery.intervalSeconds} s, ${
                    site.discovery.targets.length
                      ? `asking ${site.discovery.targets.map((t) => `${t.host}:${t.port}`).join(', ')}`
                      : 'by broadcast'
                  }`
                : 'off'}
            </dd>
            <dt>Controllers</dt>
            <dd data-testid="site-status-counts">
              {site.controllerStatus.online} online, {site.controllerStatus.offline} offline,{' '}
              {site.controllerStatus.unknown} unknown
            </dd>
            <dt>Gateways</dt>
            <dd data-testid="site-gateways">
              {site.gateways.length === 0
                ? 'none yet: enroll one with a gateway enrollment token of this site'
                : site.gateways.map((g, i) => (
                    <span key={g.id}>
                      {i > 0 && ', '}
                      <a href={`/devices/${encodeURIComponent(g.id)}`} data-testid="site-gateway-link">
                        {g.name}
                      </a>{' '}
                      ({g.status})
                    </span>
                  ))}
            </dd>
          </dl>
        )}
      </section>
      <ControllersCard
        siteId={id}
        controllers={controllers}
        gateways={site.gateways}
        canWrite={canWrite}
        onChanged={() => void loaded.reload()}
      />
      {controllers.length > 0 && (
        <PointsTable orgId={access.me.orgId} siteId={id} controllers={controllers} canWrite={canWrite} />
      )}
    </main>
  );
}
