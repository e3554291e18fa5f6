import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Access } from '../../app/access.ts';
import { DetailLoading } from '../../app/detail-page.tsx';
import { useLoaded } from '../../app/list-shell.tsx';
import type { Unit } from '../../charts/units.ts';
import { openLiveFeed, type LiveFeed } from '../device/live-feed.ts';
import { RangePicker } from '../device/range-picker.tsx';
import { formatRange, isLive, windowOf, type RangeSpec } from '../device/ranges.ts';
import { SeriesChart } from '../device/series-chart.tsx';
import { sitesApi } from './api.ts';
import { controllerName, SitesTabs } from './bits.tsx';
import { parsePointRange, pointStep, POINT_PRESETS } from './long-ranges.ts';
import { rangeText, unitOf, valueText } from './point-units.ts';
import '../alerts/alerts.css';
import '../device/device.css';
import './sites.css';

const TICK_MS = 5000;

/** The chart's axis format for a point's unit: the chart library knows a few; others read as plain numbers. */
const chartUnit = (unit: string): Unit => (unit === '°C' ? 'celsius' : unit === '%' ? 'percent' : 'count');

/** `/sites/:site/points/:controller/:point`: one point's history with the range picker, years included. */
export function PointHistoryPage(props: { siteId: string; controllerId: string; point: string; access: Access }) {
  const { siteId, controllerId, point } = props;
  const loaded = useLoaded(
    (signal) => Promise.all([sitesApi.controller(controllerId, signal), sitesApi.points(controllerId, signal)]),
    [controllerId],
  );
  const [range, setRangeState] = useState<RangeSpec>(() =>
    parsePointRange(new URLSearchParams(location.search).get('range')),
  );
  const [now, setNow] = useState(Date.now());
  const live = isLive(range);
  const gatewayId = loaded.value?.[1].gatewayDeviceId ?? null;
  const [feed, setFeed] = useState<LiveFeed | undefined>(undefined);
  useEffect(() => {
    if (!gatewayId || !live) return setFeed(undefined);
    const f = openLiveFeed(props.access.me.orgId, gatewayId);
    setFeed(f);
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => {
      clearInterval(timer);
      f.close();
    };
  }, [gatewayId, live]);

  const fetched = useMemo(() => windowOf(range), [range]);
  const query = useMemo(
    () => ({
      from: fetched.from,
      to: fetched.to,
      step: pointStep(fetched.from, fetched.to),
      agg: 'mean' as const,
      live: feed,
      liveSpanMs: range.kind === 'preset' ? range.preset.ms : undefined,
    }),
    [fetched, feed, range],
  );
  const setRange = (next: RangeSpec) => {
    const url = new URL(location.href);
    url.searchParams.set('range', formatRange(next));
    history.replaceState(history.state, '', url);
    setRangeState(next);
    setNow(Date.now());
  };

  const tabs = <SitesTabs current="sites" />;
  if (!loaded.value) return <DetailLoading error={loaded.error} what="controller" testId="point-error" tabs={tabs} />;
  const [controller, answer] = loaded.value;
  const p = answer.points.find((x) => x.point === point);
  const title = `${controllerName(controller)} ${point}${p?.label ? ` · ${p.label}` : ''}`;
  const unit = p ? unitOf(p) : '';
  const lines = p?.seriesId ? [{ key: p.seriesId, label: p.label ?? point }] : [];
  return (
    <main class="page alerts-page sites-page device-page" data-testid="point-history">
      <h1>{title}</h1>
      {tabs}
      <p>
        <a href={`/sites/${encodeURIComponent(siteId)}?controller=${encodeURIComponent(controllerId)}`}>
          Back to the site
        </a>
      </p>
      {!p?.seriesId ? (
        <p class="empty" data-testid="point-no-series">
          {point} has no values yet: it is recorded once a trend log of the site reads it.
        </p>
      ) : (
        <>
          <dl class="site-facts">
            <dt>Latest</dt>
            <dd data-testid="point-latest">{valueText(p, p.value)}</dd>
            <dt>Range</dt>
            <dd>{rangeText(p)}</dd>
            <dt>Auto/manual</dt>
            <dd>{p.autoManual ?? '—'}</dd>
          </dl>
          <RangePicker range={range} onChange={setRange} presets={POINT_PRESETS} />
          <SeriesChart
            id="point"
            title={title}
            unit={chartUnit(unit)}
            lines={lines}
            query={query}
            view={live ? windowOf(range, now) : fetched}
            onZoom={(from, to) => setRange({ kind: 'custom', from, to })}
          />
        </>
      )}
    </main>
  );
}
