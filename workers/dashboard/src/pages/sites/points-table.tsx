import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { location$, navigate } from '../../app/router.ts';
import { TableHead } from '../../app/table-head.tsx';
import { errorMessage } from '../../page-state.ts';
import { sitesApi, type ControllerView, type PointPatch } from './api.ts';
import { controllerName } from './bits.tsx';
import { liveKey, useLivePointValues } from './live-points.ts';
import { filterPoints, formatFilter, parseFilter, type PointFilter } from './point-filter.ts';
import { PointRow, type PointRowData } from './point-row.tsx';

const TYPES = ['all', 'IN', 'OUT', 'VAR'] as const;

/** The points of `controllers`, read from their gateways' latest values (never from a controller). */
async function loadPoints(controllers: readonly ControllerView[], signal: AbortSignal): Promise<PointRowData[]> {
  const answers = await Promise.all(controllers.map((c) => sitesApi.points(c.id, signal)));
  return answers.flatMap((a, i) => {
    const c = controllers[i]!;
    return a.points.map((p) => ({ ...p, controllerId: c.id, controller: controllerName(c), serial: c.serial }));
  });
}

/**
 * The points table of a site: one controller's points or all of them, filtered by type and
 * text (kept in the address), with live values from the gateways' stream.
 */
export function PointsTable(props: {
  orgId: string;
  siteId: string;
  controllers: readonly ControllerView[];
  canWrite: boolean;
}) {
  const search = location$.value.search;
  const filter = parseFilter(search);
  const chosen = new URLSearchParams(search).get('controller') ?? 'all';
  // Keyed by what matters, so the site page refreshing its controllers (for their status) does
  // not read the points again.
  const controllersKey = props.controllers.map((c) => `${c.id}:${c.serial}:${c.gatewayDeviceId}`).join(',');
  const shown = useMemo(
    () => (chosen === 'all' ? props.controllers : props.controllers.filter((c) => c.id === chosen)),
    [controllersKey, chosen],
  );
  const [rows, setRows] = useState<PointRowData[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    const ctl = new AbortController();
    loadPoints(shown, ctl.signal).then(
      (r) => {
        setRows(r);
        setError(null);
      },
      (err: unknown) => !ctl.signal.aborted && setError(errorMessage(err)),
    );
    return () => ctl.abort();
  }, [shown, version]);

  const gateways = useMemo(
    () => [...new Set(shown.map((c) => c.gatewayDeviceId).filter((g): g is string => g !== null))],
    [shown],
  );
  const { values: live, flags } = useLivePointValues(props.orgId, gateways, reload);

  // A value of a point the table does not list yet (a trend log just started reading it): read
  // the points again, at most every 5 s, so new points appear without a reload of the page.
  const lastRead = useRef(0);
  // Built once per load, not on every live sample.
  const known = useMemo(() => new Set((rows ?? []).map((r) => liveKey(r.serial, r.point))), [rows]);
  const serials = useMemo(() => new Set(shown.map((c) => String(c.serial))), [shown]);
  useEffect(() => {
    if (!rows || Date.now() - lastRead.current < 5_000) return;
    const unknown = [...live.keys()].some((key) => serials.has(key.split('|')[0]!) && !known.has(key));
    if (unknown) {
      lastRead.current = Date.now();
      reload();
    }
  }, [live, rows]);

  const setFilter = (next: PointFilter) => navigate(location$.value.pathname + formatFilter(search, next), true);
  const setController = (id: string) => {
    const q = new URLSearchParams(search);
    if (id === 'all') q.delete('controller');
    else q.set('controller', id);
    const s = q.toString();
    navigate(location$.value.pathname + (s ? `?${s}` : ''), true);
  };
  const save = (controllerId: string, patch: PointPatch) => sitesApi.patchPoints(controllerId, [patch]).then(reload);

  const merged = useMemo(
    () =>
      (rows ?? []).map((r) => {
        const key = liveKey(r.serial, r.point);
        const l = live.get(key);
        const f = flags.get(key);
        const row = l && (r.ts === null || l.ts > r.ts) ? { ...r, value: l.value, ts: l.ts } : r;
        if (!f) return row;
        return {
          ...row,
          ...(f.range ? { range: f.range.value } : {}),
          ...(f.manual ? { autoManual: f.manual.value !== 0 ? ('manual' as const) : ('auto' as const) } : {}),
          ...(f.digital ? { analogDigital: f.digital.value !== 0 ? ('digital' as const) : ('analog' as const) } : {}),
        };
      }),
    [rows, live, flags],
  );
  const visible = filterPoints(merged, filter);
  const showController = chosen === 'all' && props.controllers.length > 1;

  return (
    <section class="card" aria-labelledby="points-title" data-testid="points">
      <h2 id="points-title">Points</h2>
      <div class="row points-filters" role="search">
        <label for="points-controller">
          Controller
          <select
            id="points-controller"
            value={chosen}
            onChange={(e) => setController(e.currentTarget.value)}
            data-testid="points-controller"
          >
            <option value="all">All controllers</option>
            {props.controllers.map((c) => (
              <option key={c.id} value={c.id}>
                {controllerName(c)}
              </option>
            ))}
          </select>
        </label>
        <div class="range-buttons" role="group" aria-label="Point type">
          {TYPES.map((t) => (
            <button
              type="button"
              key={t}
              class="range-button"
              aria-pressed={filter.type === t}
              onClick={() => setFilter({ ...filter, type: t })}
              data-testid={`points-type-${t}`}
            >
              {t === 'all' ? 'All' : t}
            </button>
          ))}
        </div>
        <label for="points-text">
          Filter
          <input
            id="points-text"
            type="search"
            value={filter.text}
            placeholder="label, point, unit…"
            onInput={(e) => setFilter({ ...filter, text: e.currentTarget.value })}
            data-testid="points-text"
          />
        </label>
      </div>
      {error ? (
        <p class="form-error" role="alert" data-testid="points-error">
          Could not load the points: {error}
        </p>
      ) : rows === null ? (
        <p class="muted">Loading points…</p>
      ) : visible.length === 0 ? (
        <p class="empty" data-testid="points-empty">
          {rows.length === 0
            ? 'No points yet: they appear once a gateway polls the controllers (add them to a trend log).'
            : 'No point matches the filter.'}
        </p>
      ) : (
        <div class="table-scroll">
          <table class="grid points-table" data-testid="points-table">
            <TableHead
              columns={[
                ...(showController ? ['Controller'] : []),
                'Point',
                'Label',
                'Value',
                'Auto/manual',
                'Analog/digital',
                'Range',
              ]}
              actions={props.canWrite}
            />
            <tbody>
              {visible.map((r) => (
                <PointRow
                  key={`${r.controllerId}-${r.point}`}
                  row={r}
                  siteId={props.siteId}
                  showController={showController}
                  canWrite={props.canWrite}
                  onSave={(patch) => save(r.controllerId, patch)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
