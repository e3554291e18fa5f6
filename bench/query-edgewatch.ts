/**
 * The query benchmark's Edgewatch half: load both data sets, wait until the DeviceHubs have
 * flushed 1-minute rollups and the cron has rolled them into hours and days, then time the
 * reads on an otherwise idle Worker.
 */
import { enrollAll, loadEdgewatch } from './bulk-load.ts';
import { METRIC, endOf, seriesKey, totalSamples } from './dataset.ts';
import { startPlatform } from './edgewatch.ts';
import {
  listSeries,
  workerReloads,
  type Api,
  type HistoryResponse,
  type SeriesInfo,
  type SingleHistoryResponse,
} from './edgewatch-api.ts';
import type { PointMap } from './points.ts';
import { RUNS, UNCOMPRESSED, type Measured, type QueryPlan } from './query-plan.ts';
import { waitAllRollups, type RollupWait } from './rollup-wait.ts';
import { timeGets } from './timing.ts';
import { SOCKET_NOT_FOUND, workerSocketUrl } from './worker-socket.ts';
import type { BenchContext } from './types.ts';

export interface EdgewatchQueries {
  /** Raw 24 h: the single-series endpoint's stored points, then `/v1/history` with step=10s. */
  raw: { noStep: Measured; step10s: Measured };
  month: Measured;
  /**
   * The step=10s and month reads again at workerd's own socket, without wrangler dev's proxy in
   * front (worker-socket.ts); or why they were not timed.
   */
  direct: { step10s: Measured; month: Measured } | string;
  /** The step=10s and month reads again through wrangler dev, asking for no compression. */
  uncompressed: { step10s: Measured; month: Measured };
  /** Setup figures for the notes. */
  setup: RollupWait & { loadSeconds: number; reloads: number };
}

/** Series key (device index / idx label) of each series id, for one data set's devices. */
function keysById(series: SeriesInfo[], deviceIds: string[]): Map<string, string> {
  const index = new Map(deviceIds.map((id, i) => [id, i]));
  const out = new Map<string, string>();
  for (const s of series) {
    const d = index.get(s.deviceId);
    if (d !== undefined) out.set(s.id, seriesKey(d, s.labels));
  }
  return out;
}

function multiPoints(body: HistoryResponse, keys: Map<string, string>): PointMap {
  return new Map(body.series.map((s) => [keys.get(s.seriesId) ?? s.seriesId, s.points]));
}

export async function edgewatchQueries(ctx: BenchContext, plan: QueryPlan): Promise<EdgewatchQueries> {
  ctx.log('  starting a fresh local platform (migrate, seed, wrangler dev --test-scheduled)…');
  const platform = await startPlatform(ctx, { testScheduled: true });
  const api: Api = { url: platform.url, apiKey: platform.seed.apiKey };
  const rawDevices = await enrollAll(platform.url, platform.seed.enrollmentToken, plan.raw);
  const monthDevices = await enrollAll(platform.url, platform.seed.enrollmentToken, plan.month);
  const loadSeconds =
    (await loadEdgewatch(ctx, platform.url, rawDevices, plan.raw)) +
    (await loadEdgewatch(ctx, platform.url, monthDevices, plan.month));

  const series = await listSeries(api, METRIC);
  const rawKeys = keysById(
    series,
    rawDevices.map((d) => d.deviceId),
  );
  const monthKeys = keysById(
    series,
    monthDevices.map((d) => d.deviceId),
  );
  const [rawId] = [...rawKeys.keys()];
  if (!rawId || monthKeys.size !== plan.month.devices * plan.month.seriesPerDevice)
    throw new Error(`GET /v1/series listed ${rawKeys.size} + ${monthKeys.size} of the loaded series`);
  const rollups = await waitAllRollups(ctx, api, {
    ids: [...monthKeys.keys()],
    from: plan.monthFrom,
    to: plan.monthTo,
    expected: totalSamples(plan.month),
  });

  ctx.log(`  timing the reads (${RUNS} runs each)…`);
  const [rawFrom, rawTo] = [plan.raw.start, endOf(plan.raw)];
  const paths = {
    // Without a step, ranges over 6 h are answered from rollups: source=raw asks for the stored points.
    noStep: `/v1/series/${rawId}/history?from=${rawFrom}&to=${rawTo}&source=raw`,
    step10s: `/v1/history?series=${rawId}&from=${rawFrom}&to=${rawTo}&step=10s&agg=mean&source=raw`,
    month: `/v1/history?series=${[...monthKeys.keys()].join(',')}&from=${plan.monthFrom}&to=${plan.monthTo}&step=1h&agg=mean`,
  };
  const noStep = await timeGets(api, paths.noStep, RUNS);
  const single = JSON.parse(noStep.text) as SingleHistoryResponse;
  const readMulti = async (to: Api, path: string, keys: Map<string, string>): Promise<Measured> => {
    const timed = await timeGets(to, path, RUNS);
    const body = JSON.parse(timed.text) as HistoryResponse;
    return { timed, points: multiPoints(body, keys), source: body.source };
  };
  const step10s = await readMulti(api, paths.step10s, rawKeys);
  const month = await readMulti(api, paths.month, monthKeys);
  const plain = { ...api, headers: UNCOMPRESSED };
  const uncompressed = {
    step10s: await readMulti(plain, paths.step10s, rawKeys),
    month: await readMulti(plain, paths.month, monthKeys),
  };
  const socket = await workerSocketUrl(platform);
  let direct: EdgewatchQueries['direct'] = SOCKET_NOT_FOUND;
  if (socket) {
    ctx.log(`  the same reads at workerd's own socket (${socket}), without wrangler dev's proxy…`);
    const at = { ...api, url: socket };
    direct = {
      step10s: await readMulti(at, paths.step10s, rawKeys),
      month: await readMulti(at, paths.month, monthKeys),
    };
  }
  const reloads = await workerReloads(platform.dir);
  await platform.stop(); // Before the peer runs, so the two never share the 2 cores.
  return {
    raw: {
      noStep: { timed: noStep, points: new Map([[rawKeys.get(rawId)!, single.points]]), source: single.source },
      step10s,
    },
    month,
    direct,
    uncompressed,
    setup: { loadSeconds, reloads, ...rollups },
  };
}
