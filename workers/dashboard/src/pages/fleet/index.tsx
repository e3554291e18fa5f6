import { isUnauthenticated, type Me } from '../../api.ts';
import { reportUnauthenticated } from '../../app/data.ts';
import { location$, navigate } from '../../app/router.ts';
import { errorMessage } from '../../page-state.ts';
import { FleetFilters } from './fleet-filters.tsx';
import { applyQuery, parseQuery, queryString, type FleetQuery, type SortKey } from './fleet-query.ts';
import { FleetTable } from './fleet-table.tsx';
import './fleet.css';
import { SummaryStrip } from './summary-strip.tsx';
import { useFleet } from './use-fleet.ts';

const TEXT_KEYS = new Set<SortKey>(['status', 'name', 'site', 'kind', 'agent']);

/** Rows per page: a page of 100 rows re-renders in well under a frame, whatever the fleet's size. */
const PAGE_SIZE = 100;

/** `/`: the organisation at a glance, then every device with live figures, sorted and filtered. */
export function FleetPage({ me }: { me: Me }) {
  const fleet = useFleet(me);
  const query = parseQuery(location$.value.search);
  // Filters replace the history entry: "back" leaves the page rather than undoing keystrokes.
  const update = (change: Partial<FleetQuery>) => navigate(`/${queryString({ ...query, page: 0, ...change })}`, true);
  const onSort = (key: SortKey) =>
    // Figures sort highest first on the first click; names and status (online first) ascending.
    update({ sort: key, desc: query.sort === key ? !query.desc : !TEXT_KEYS.has(key) });

  const all = fleet.rows.value;
  const shown = applyQuery(all, query);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const page = Math.min(query.page, pages - 1);
  const slice = shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const err = fleet.error.value;
  if (err && isUnauthenticated(err)) reportUnauthenticated();

  return (
    <main class="page fleet">
      <h1 class="visually-hidden">Fleet</h1>
      <SummaryStrip />
      <section class="panel" aria-labelledby="fleet-title">
        <div class="panel-head">
          <h2 id="fleet-title">Devices</h2>
          <span class="hint" data-testid="fleet-count">
            {fleet.loading.value ? '' : `${shown.length} of ${all.length}`}
          </span>
        </div>
        <FleetFilters rows={all} query={query} onChange={update} />
        {fleet.loading.value ? (
          <p class="list-status" role="status" data-testid="fleet-status" data-state="loading">
            Loading devices…
          </p>
        ) : err ? (
          <p class="list-status error" role="alert" data-testid="fleet-status" data-state="error">
            {`Could not load the devices: ${errorMessage(err)}`}
          </p>
        ) : all.length === 0 ? (
          <p class="empty" data-testid="fleet-status" data-state="empty">
            No devices yet. <a href="/add-host">Add a host</a> to see it here within seconds.
          </p>
        ) : shown.length === 0 ? (
          <p class="empty" data-testid="fleet-status" data-state="filtered">
            No device matches these filters.
          </p>
        ) : (
          <FleetTable rows={slice} query={query} onSort={onSort} />
        )}
        {pages > 1 ? (
          <nav class="pager" aria-label="Pages of devices">
            <button type="button" disabled={page === 0} onClick={() => update({ ...query, page: page - 1 })}>
              Previous
            </button>
            <span data-testid="fleet-page">{`Page ${page + 1} of ${pages}`}</span>
            <button type="button" disabled={page >= pages - 1} onClick={() => update({ ...query, page: page + 1 })}>
              Next
            </button>
          </nav>
        ) : null}
      </section>
    </main>
  );
}
