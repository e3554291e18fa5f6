/**
 * The read API as the benchmarks use it: authenticated GETs, series lookup, the cron trigger
 * of `wrangler dev --test-scheduled`, and how many samples each rollup level covers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistorySource, Point, SeriesPoints } from '../schema/wire/history.ts';
import { timedGet, type Endpoint } from './timing.ts';

export interface Api extends Endpoint {
  apiKey: string;
}

export interface SeriesInfo {
  id: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
}

export interface HistoryResponse {
  from: number;
  to: number;
  step: string | number | null;
  source: HistorySource;
  series: SeriesPoints[];
}

export interface SingleHistoryResponse {
  source: HistorySource;
  points: Point[];
}

export async function apiGet<T>(api: Api, path: string): Promise<T> {
  return JSON.parse((await timedGet(api, path)).text) as T;
}

/** Every series of `metric` in the org, following cursors. */
export async function listSeries(api: Api, metric: string): Promise<SeriesInfo[]> {
  const out: SeriesInfo[] = [];
  let cursor = '';
  do {
    const page = await apiGet<{ series: SeriesInfo[]; nextCursor: string | null }>(
      api,
      `/v1/series?metric=${metric}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    out.push(...page.series);
    cursor = page.nextCursor ?? '';
  } while (cursor);
  return out;
}

/** Runs the Worker's cron handler once (needs `--test-scheduled`). */
export async function triggerCron(url: string): Promise<void> {
  const res = await fetch(`${url}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`/__scheduled: HTTP ${res.status} ${text.slice(0, 200)}`);
}

/** Series one history request may name. */
const MAX_SERIES = 100;

/**
 * Raw samples a rollup level covers for `ids` over [from, to): the sum of its `count`
 * aggregate in one-day steps, so 100 series over 30 days stay a few thousand points.
 */
export async function rolledUpSamples(
  api: Api,
  ids: string[],
  from: number,
  to: number,
  source: Exclude<HistorySource, 'raw'>,
): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += MAX_SERIES) {
    const body = await apiGet<HistoryResponse>(
      api,
      `/v1/history?series=${ids.slice(i, i + MAX_SERIES).join(',')}&from=${from}&to=${to}&step=1d&agg=count&source=${source}`,
    );
    for (const s of body.series) for (const p of s.points) n += p.value;
  }
  return n;
}

/**
 * Times `wrangler dev` reloaded the Worker so far (another session editing the sources): a
 * reload mid-measurement restarts every Durable Object, so the row should say so.
 */
export async function workerReloads(platformDir: string): Promise<number> {
  const log = await readFile(join(platformDir, 'worker.log'), 'utf8').catch(() => '');
  return log.split('Reloading local server').length - 1;
}
