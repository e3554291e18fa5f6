import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Access } from '../../app/access.ts';
import { DeleteInPlace, DetailLoading } from '../../app/detail-page.tsx';
import { useLoaded } from '../../app/list-shell.tsx';
import { navigate } from '../../app/router.ts';
import { FieldError, LeftoverError } from '../alerts/bits.tsx';
import { TextField } from '../alerts/text-field.tsx';
import { fieldMatches, formError, type FormError } from '../device/field-error.ts';
import { sitesApi, type ControllerView, type SiteView, type TrendLogView } from '../sites/api.ts';
import { SitesTabs } from '../sites/bits.tsx';
import { bodyOf, draftOf, emptyDraft, type TrendLogDraft } from './draft.ts';
import { PointPicker } from './point-picker.tsx';
import { BacnetRows } from './bacnet-rows.tsx';
import { RegisterRows } from './register-rows.tsx';
import '../alerts/alerts.css';
import '../device/device.css';
import '../sites/sites.css';

const SHOWN = ['name', 'intervalSeconds', 'siteId', 'points', 'registers', 'bacnet'];

/** `/trend-logs/new` and `/trend-logs/:id`: a trend log's name, interval, site, points, raw registers and BACnet objects. */
export function TrendLogPage({ id, access }: { id: string | null; access: Access }) {
  const loaded = useLoaded(
    (signal) =>
      Promise.all([id ? sitesApi.trendLog(id, signal) : Promise.resolve(null), sitesApi.sites(signal)] as const),
    [id],
  );
  const tabs = <SitesTabs current="trend-logs" />;
  if (!loaded.value)
    return <DetailLoading error={loaded.error} what="trend log" testId="trend-log-error" tabs={tabs} />;
  const [log, sites] = loaded.value;
  return <Editor key={log?.updatedAt ?? 'new'} log={log} sites={sites} access={access} tabs={tabs} />;
}

function Editor(props: { log: TrendLogView | null; sites: SiteView[]; access: Access; tabs: ComponentChildren }) {
  const { log, sites } = props;
  const canWrite = props.access.can('sites.write');
  const preset = new URLSearchParams(location.search).get('site') ?? (sites.length === 1 ? sites[0]!.id : '');
  const [d, setD] = useState<TrendLogDraft>(() => (log ? draftOf(log) : emptyDraft(preset)));
  const [controllers, setControllers] = useState<ControllerView[] | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const set = (change: Partial<TrendLogDraft>) => {
    setSaved(false);
    setD({ ...d, ...change });
  };

  useEffect(() => {
    if (!d.siteId) return setControllers(null);
    const ctl = new AbortController();
    sitesApi.controllers(d.siteId, ctl.signal).then(setControllers, () => !ctl.signal.aborted && setControllers([]));
    return () => ctl.abort();
  }, [d.siteId]);

  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = bodyOf(d);
    const request = log
      ? sitesApi.updateTrendLog(log.id, {
          name: body.name,
          intervalSeconds: body.intervalSeconds,
          points: body.points,
          registers: body.registers,
          bacnet: body.bacnet,
        })
      : sitesApi.createTrendLog(body);
    request
      .then(
        (t) => {
          setSaved(true);
          if (!log) navigate(`/trend-logs/${encodeURIComponent(t.id)}`);
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };

  const readOnly = !canWrite;
  return (
    <main class="page alerts-page sites-page" data-testid="trend-log-page">
      <h1>{log ? log.name : 'New trend log'}</h1>
      {props.tabs}
      {readOnly && (
        <p class="muted" data-testid="trend-log-read-only">
          Trend logs are changed by members of the organisation.
        </p>
      )}
      <form class="alerts-form card" noValidate onSubmit={submit} data-testid="trend-log-form">
        <div class="row">
          {readOnly ? (
            <p>
              <strong>{d.name}</strong>, every {d.intervalSeconds} s
            </p>
          ) : (
            <>
              <TextField
                label="Name"
                path="name"
                prefix="trend-log"
                value={d.name}
                error={error}
                required
                maxLength={100}
                placeholder="Supply temperatures"
                onInput={(name) => set({ name })}
              />
              <TextField
                label="Interval (seconds)"
                path="intervalSeconds"
                prefix="trend-log"
                value={d.intervalSeconds}
                error={error}
                numeric
                required
                hint="1 to 86400"
                onInput={(intervalSeconds) => set({ intervalSeconds })}
              />
            </>
          )}
          <label for="trend-log-site">
            Site
            <select
              id="trend-log-site"
              value={d.siteId}
              disabled={readOnly || log !== null}
              aria-invalid={fieldMatches(error, 'siteId')}
              onChange={(e) => set({ siteId: e.currentTarget.value, points: [], registers: [], bacnet: [] })}
              data-testid="trend-log-site"
            >
              <option value="">Choose a site</option>
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
              {log && log.siteId === null && <option value="">gateway {log.gatewayDeviceId}</option>}
            </select>
            <FieldError error={error} field="siteId" />
          </label>
        </div>
        <PointPicker
          controllers={controllers}
          picked={d.points}
          error={error}
          disabled={readOnly}
          onChange={(points) => set({ points })}
        />
        <RegisterRows
          rows={d.registers}
          controllers={controllers ?? []}
          error={error}
          disabled={readOnly}
          onChange={(registers) => set({ registers })}
        />
        <BacnetRows
          rows={d.bacnet}
          controllers={(controllers ?? []).filter((c) => c.bacnetInstance !== null)}
          error={error}
          disabled={readOnly}
          onChange={(bacnet) => set({ bacnet })}
        />
        {!readOnly && (
          <div class="form-actions">
            <button type="submit" class="primary" disabled={busy} data-testid="trend-log-save">
              {log ? 'Save trend log' : 'Create trend log'}
            </button>
            {saved && (
              <span role="status" data-testid="trend-log-saved">
                Saved: the gateways get it with their next config.
              </span>
            )}
          </div>
        )}
        <LeftoverError error={error} shown={SHOWN} />
      </form>
      {log && canWrite && (
        <DeleteInPlace
          question={`Delete the trend log "${log.name}"? Its gateways stop reading its points; recorded data stays.`}
          label="Delete trend log"
          testId="trend-log-delete"
          doneHref="/trend-logs"
          remove={() => sitesApi.removeTrendLog(log.id)}
        />
      )}
    </main>
  );
}
