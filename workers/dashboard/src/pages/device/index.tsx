import { useEffect, useMemo, useState } from 'preact/hooks';
import type { DeviceView, LatestValue } from '../../../../../schema/wire/telemetry.ts';
import type { Me } from '../../api.ts';
import { AgentConfigForm } from './agent-config-form.tsx';
import { deviceApi, type SeriesInfo } from './api.ts';
import { CollectorCharts } from './collector-charts.tsx';
import './device.css';
import { Explorer } from './explorer.tsx';
import { formError } from './field-error.ts';
import { IncidentsPanel } from './incidents-panel.tsx';
import { InfoBar } from './info-bar.tsx';
import { openLiveFeed, type LiveFeed } from './live-feed.ts';
import { RangePicker } from './range-picker.tsx';
import { formatRange, isLive, parseRange, stepFor, windowOf, type RangeSpec } from './ranges.ts';
import { SettingsForm } from './settings-form.tsx';

/** How often the info bar refreshes (status, last seen) and a live view slides. */
const TICK_MS = 5000;

interface Loaded {
  me: Me;
  device: DeviceView;
  latest: LatestValue[];
  series: SeriesInfo[];
}

const readRange = () => parseRange(new URLSearchParams(location.search).get('range'));

/** Keeps `?range=` in the address without adding history entries, so a reload or link reopens the view. */
function writeRange(range: RangeSpec): void {
  const url = new URL(location.href);
  url.searchParams.set('range', formatRange(range));
  history.replaceState(history.state, '', url);
}

/** One device in depth: info bar, a chart per collector, the explorer, settings and agent config. */
export function DevicePage({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<{ message: string; status?: number } | null>(null);
  const [range, setRangeState] = useState<RangeSpec>(readRange);
  const [now, setNow] = useState(Date.now());
  const [deleted, setDeleted] = useState(false);

  useEffect(() => {
    const aborter = new AbortController();
    const { signal } = aborter;
    setLoaded(null);
    setError(null);
    Promise.all([
      deviceApi.me(signal) as Promise<Me>,
      deviceApi.device(id, signal),
      deviceApi.latest(id, signal),
      deviceApi.series(id, {}, signal),
    ]).then(
      ([me, device, latest, series]) => setLoaded({ me, device, latest, series }),
      (err: unknown) => {
        if (signal.aborted) return;
        setError({ message: formError(err).message, status: (err as { status?: number }).status });
      },
    );
    return () => aborter.abort();
  }, [id]);

  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
      // Status and last seen move on their own; a failed refresh keeps what is shown.
      Promise.all([deviceApi.device(id), deviceApi.latest(id)]).then(
        ([device, latest]) => setLoaded((l) => (l ? { ...l, device, latest } : l)),
        () => undefined,
      );
    }, TICK_MS);
    return () => clearInterval(timer);
  }, [id]);

  const live = isLive(range);
  const orgId = loaded?.me.orgId;
  const [feed, setFeed] = useState<LiveFeed | undefined>(undefined);
  useEffect(() => {
    if (!orgId || !live) return setFeed(undefined);
    const f = openLiveFeed(orgId, id);
    setFeed(f);
    return () => f.close();
  }, [orgId, id, live]);

  // The fetched window is fixed when the range is chosen; a live view only slides what is drawn.
  const fetched = useMemo(() => windowOf(range), [range]);
  const query = useMemo(
    () => ({
      from: fetched.from,
      to: fetched.to,
      step: stepFor(fetched.from, fetched.to),
      agg: 'mean' as const,
      live: feed,
      liveSpanMs: range.kind === 'preset' ? range.preset.ms : undefined,
    }),
    [fetched, feed, live, range],
  );
  const view = live ? windowOf(range, now) : fetched;

  const setRange = (next: RangeSpec) => {
    writeRange(next);
    setRangeState(next);
    setNow(Date.now());
  };
  const onZoom = (from: number, to: number) => setRange({ kind: 'custom', from, to });

  useEffect(() => writeRange(range), []);

  if (deleted) {
    return (
      <main class="page device-page">
        <p role="status" data-testid="device-deleted">
          The device was deleted. <a href="/">Back to the fleet</a>
        </p>
      </main>
    );
  }
  if (error) {
    return (
      <main class="page device-page">
        <p class="form-error" role="alert" data-testid="device-error">
          {error.status === 404
            ? 'No such device in this organisation.'
            : `Could not load the device: ${error.message}`}
        </p>
        <a href="/">Back to the fleet</a>
      </main>
    );
  }
  if (!loaded) {
    return (
      <main class="page device-page" aria-busy="true">
        <p data-testid="device-loading">Loading device…</p>
      </main>
    );
  }
  const { me, device, latest, series } = loaded;
  const canWrite = me.role ? me.role !== 'viewer' : me.scopes.some((s) => s === 'write' || s === 'admin');
  return (
    <main class="page device-page" data-testid="device-page">
      <InfoBar device={device} latest={latest} now={now} />
      <IncidentsPanel deviceId={id} orgId={me.orgId} />
      <RangePicker range={range} onChange={setRange} />
      <CollectorCharts series={series} query={query} view={view} onZoom={onZoom} />
      <Explorer deviceId={id} series={series} query={query} view={view} onZoom={onZoom} />
      {canWrite && (
        <SettingsForm
          device={device}
          onSaved={(d) => setLoaded({ ...loaded, device: d })}
          onDeleted={() => setDeleted(true)}
        />
      )}
      <AgentConfigForm deviceId={id} canWrite={canWrite} />
    </main>
  );
}
