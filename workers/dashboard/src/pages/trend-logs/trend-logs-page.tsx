import type { Access } from '../../app/access.ts';
import { ListState, useLoaded } from '../../app/list-shell.tsx';
import { TableHead } from '../../app/table-head.tsx';
import { sitesApi } from '../sites/api.ts';
import { SitesTabs } from '../sites/bits.tsx';
import '../alerts/alerts.css';
import '../sites/sites.css';

/** `/trend-logs`: what the gateways read and how often; members add and edit them. */
export function TrendLogsPage({ access }: { access: Access }) {
  const { value, error } = useLoaded((signal) => Promise.all([sitesApi.trendLogs(signal), sitesApi.sites(signal)]), []);
  const canWrite = access.can('sites.write');
  const siteName = (id: string | null) => (id ? (value?.[1].find((s) => s.id === id)?.name ?? id) : '');
  return (
    <main class="page alerts-page sites-page" aria-busy={value === null && !error}>
      <h1>Trend logs</h1>
      <SitesTabs current="trend-logs" />
      <section class="card" aria-labelledby="trend-logs-title">
        <div class="card-head">
          <h2 id="trend-logs-title">Trend logs</h2>
          {canWrite && (
            <a class="button-link primary" href="/trend-logs/new" data-testid="trend-log-new">
              New trend log
            </a>
          )}
        </div>
        <ListState
          items={value?.[0] ?? null}
          error={error}
          noun="trend logs"
          errorTestId="trend-logs-error"
          emptyTestId="trend-logs-empty"
          empty="No trend logs yet: a gateway polls nothing until one names its controllers' points."
        >
          {(logs) => (
            <table class="grid" data-testid="trend-log-list">
              <TableHead columns={['Name', 'Site or gateway', 'Every', 'Points', 'Registers']} actions={false} />
              <tbody>
                {logs.map((t) => (
                  <tr key={t.id} data-testid="trend-log-row" data-id={t.id}>
                    <td>
                      <a href={`/trend-logs/${encodeURIComponent(t.id)}`} data-testid="trend-log-link">
                        {t.name}
                      </a>
                    </td>
                    <td>{t.siteId ? siteName(t.siteId) : `gateway ${t.gatewayDeviceId ?? ''}`}</td>
                    <td>{t.intervalSeconds} s</td>
                    <td>{t.points.length}</td>
                    <td>{t.registers.length}</td>
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
