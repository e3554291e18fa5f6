import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Aggregation, HistorySource } from '../../../../../schema/wire/history.ts';
import { SeriesPoints } from '../../charts/aligned.ts';
import { deviceApi } from './api.ts';
import type { LiveFeed } from './live-feed.ts';

/** The API answers at most 100 series per history call. */
const SERIES_PER_CALL = 100;

export interface SeriesData {
  state: 'loading' | 'ready' | 'error';
  error?: string;
  /** Where the API took the points from, and the bucket width (null: raw points). */
  source?: HistorySource;
  step?: number | null;
  note?: string;
  store: SeriesPoints;
  /** Bumped whenever `store` changes, so charts redraw. */
  version: number;
}

export interface SeriesQuery {
  seriesIds: readonly string[];
  from: number;
  to: number;
  step: number | undefined;
  agg: Aggregation;
  /** Set on live ranges: samples of these series are appended as they arrive. */
  live?: LiveFeed;
  /** The live window's length, to drop points that slid out of it. */
  liveSpanMs?: number;
}

/** The points of `seriesIds` over a window, read into `store` (100 series per call); the first answer's meta. */
async function loadHistory(
  store: SeriesPoints,
  seriesIds: readonly string[],
  window: { from: number; to: number; step: number | undefined; agg: Aggregation },
  signal: AbortSignal,
): Promise<Pick<SeriesData, 'source' | 'step' | 'note'>> {
  const chunks: string[][] = [];
  for (let i = 0; i < seriesIds.length; i += SERIES_PER_CALL) chunks.push(seriesIds.slice(i, i + SERIES_PER_CALL));
  const answers = await Promise.all(chunks.map((series) => deviceApi.history({ series, ...window }, signal)));
  for (const answer of answers) for (const s of answer.series) store.add(s.seriesId, s.points);
  const first = answers[0]!;
  return { source: first.source, step: first.step, note: first.note };
}

/**
 * Loads the history of some series over a window and, on live ranges, keeps appending to it.
 * When the stream reports a gap (samples lost across a reconnect that the server could not
 * replay), the live window is read again from the API up to now and merged in.
 */
export function useSeriesData(q: SeriesQuery): SeriesData {
  const ids = q.seriesIds.join(',');
  const store = useMemo(() => new SeriesPoints(), [ids, q.from, q.to, q.step, q.agg]);
  const [data, setData] = useState<SeriesData>({ state: 'loading', store, version: 0 });

  useEffect(() => {
    const aborter = new AbortController();
    setData({ state: 'loading', store, version: 0 });
    if (q.seriesIds.length === 0) {
      setData({ state: 'ready', store, version: 0 });
      return;
    }
    loadHistory(store, q.seriesIds, { from: q.from, to: q.to, step: q.step, agg: q.agg }, aborter.signal).then(
      (meta) => setData({ state: 'ready', store, version: 1, ...meta }),
      (err: unknown) => {
        if (aborter.signal.aborted) return;
        setData({ state: 'error', error: err instanceof Error ? err.message : String(err), store, version: 0 });
      },
    );
    return () => aborter.abort();
  }, [store]);

  useEffect(() => {
    if (!q.live) return;
    const wanted = new Set(q.seriesIds);
    const aborter = new AbortController();
    const changed = () => {
      if (q.liveSpanMs) store.trim(Date.now() - q.liveSpanMs);
      setData((d) => (d.state === 'ready' ? { ...d, version: d.version + 1 } : d));
    };
    const refetch = () => {
      if (q.seriesIds.length === 0) return;
      const to = Date.now();
      const from = q.liveSpanMs ? Math.max(q.from, to - q.liveSpanMs) : q.from;
      // A failed refetch keeps what is drawn; live samples still arrive.
      loadHistory(store, q.seriesIds, { from, to, step: q.step, agg: q.agg }, aborter.signal).then(
        changed,
        () => undefined,
      );
    };
    const stop = q.live.listen((samples) => {
      let added = false;
      for (const s of samples) if (wanted.has(s.seriesId)) added = store.add(s.seriesId, [s]) || added;
      if (added) changed();
    }, refetch);
    return () => {
      aborter.abort();
      stop();
    };
  }, [store, q.live, q.liveSpanMs]);

  return data;
}
