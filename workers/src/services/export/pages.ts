import type { ExportPosition, HistorySource } from '../../../../schema/wire/history.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import type { ExportPage } from '../../objects/device-hub/export.ts';
import type { ExportEncoder, RollupRow } from './format.ts';
import type { ExportSeries } from './query.ts';

/** Rows fetched per page: one DeviceHub RPC. */
export const EXPORT_PAGE_ROWS = 5_000;

/**
 * Fetches and encodes the next non-empty page of an export, or returns null when it is over.
 * Each call does the work of one page (skipping empty stretches), so the stream asks for
 * exactly as much as its reader consumes.
 */
export type NextPage = () => Promise<string | null>;

interface Range {
  from: number;
  to: number;
}

/** Consecutive series of one device: each run is read from that device's DeviceHub. */
function deviceRuns(series: readonly ExportSeries[]): ExportSeries[][] {
  const runs: ExportSeries[][] = [];
  for (const s of series) {
    const run = runs.at(-1);
    if (run && run[0]!.deviceId === s.deviceId) run.push(s);
    else runs.push([s]);
  }
  return runs;
}

/**
 * Raw samples from the DeviceHubs, in (series order, ts) order. While one page is encoded and
 * read, the next is already being fetched (one page ahead, no more), so the DeviceHub's
 * reading overlaps the Worker's writing.
 */
export function rawPages(env: Env, series: readonly ExportSeries[], range: Range, encoder: ExportEncoder): NextPage {
  const runs = deviceRuns(series);
  const byId = new Map(series.map((s) => [s.id, s]));
  let run = 0;
  let after: ExportPosition | null = null;
  const fetchPage = (): Promise<ExportPage> | null => {
    if (run >= runs.length) return null;
    const ids = runs[run]!.map((s) => s.id);
    return deviceHubFor(env, runs[run]![0]!.deviceId).exportPage(ids, range.from, range.to, after, EXPORT_PAGE_ROWS);
  };
  let ahead: Promise<ExportPage> | null = null;
  return async () => {
    for (;;) {
      const pending = ahead ?? fetchPage();
      ahead = null;
      if (!pending) return null;
      const page = await pending;
      after = page.next;
      if (!after) run++;
      ahead = fetchPage();
      // A reader that leaves never awaits the page fetched ahead: its failure is no error then.
      ahead?.catch(() => {});
      if (page.blocks.length > 0)
        return page.blocks.map((b) => encoder.raw(byId.get(b.seriesId)!, b.ts, b.values)).join('');
    }
  };
}

/** Rollup buckets starting in [from, to), keyset-paged on (series, bucket), from each series' DeviceHub. */
export function rollupPages(
  env: Env,
  source: Exclude<HistorySource, 'raw'>,
  series: readonly ExportSeries[],
  range: Range,
  encoder: ExportEncoder,
): NextPage {
  const page = (x: ExportSeries, from: number): Promise<RollupRow[]> =>
    deviceHubFor(env, x.deviceId).rollupExportPage(source, x.id, from, range.to, EXPORT_PAGE_ROWS);
  let index = 0;
  let from = range.from;
  return async () => {
    while (index < series.length) {
      const s = series[index]!;
      const results = await page(s, from);
      const last = results.at(-1);
      if (results.length === EXPORT_PAGE_ROWS && last) {
        from = last.bucket + 1;
      } else {
        index++;
        from = range.from;
      }
      if (results.length > 0) return encoder.rollup(s, results);
    }
    return null;
  };
}
