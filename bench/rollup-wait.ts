/**
 * Waiting for rollups: the DeviceHubs' alarms build their minute, hour and day rollups on their
 * own (no cron is involved).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistorySource } from '../schema/wire/history.ts';
import { rolledUpSamples, type Api } from './edgewatch-api.ts';
import type { BenchContext } from './types.ts';

const DAY = 86_400_000;

/** Polls until `expected` samples are rolled up at `source`. Returns the seconds it took. */
export async function waitRolledUp(
  ctx: BenchContext,
  api: Api,
  q: { ids: string[]; from: number; to: number; source: Exclude<HistorySource, 'raw'>; expected: number },
  opts: { timeoutMs: number; pollMs: number },
): Promise<{ seconds: number; polls: number }> {
  const t0 = performance.now();
  let got = -1;
  let lastLog = 0;
  for (let polls = 1; performance.now() - t0 < opts.timeoutMs; polls++) {
    got = await rolledUpSamples(api, q.ids, q.from, q.to, q.source).catch((err: Error) => {
      ctx.log(`    ${q.source} rollups: ${err.message}`);
      return -1;
    });
    if (got >= q.expected) return { seconds: (performance.now() - t0) / 1000, polls };
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      ctx.log(`    ${q.source} rollups: ${got}/${q.expected} samples covered`);
    }
    await sleep(opts.pollMs);
  }
  throw new Error(`${q.source} rollups cover only ${got}/${q.expected} samples after ${opts.timeoutMs / 1000} s`);
}

export interface RollupWait {
  rollup1mSeconds: number;
  rollup1hSeconds: number;
  rollup1dSeconds: number;
}

/** Until every level covers the `expected` samples of `ids` in [from, to). */
export async function waitAllRollups(
  ctx: BenchContext,
  api: Api,
  q: { ids: string[]; from: number; to: number; expected: number },
): Promise<RollupWait> {
  ctx.log('  waiting for the DeviceHubs to flush their minutes, hours and days…');
  const opts = { timeoutMs: 240_000, pollMs: 2000 };
  const m = await waitRolledUp(ctx, api, { ...q, source: '1m' }, opts);
  ctx.log(`    1m rollups complete after ${m.seconds.toFixed(1)} s`);
  const h = await waitRolledUp(ctx, api, { ...q, source: '1h' }, opts);
  ctx.log(`    1h rollups complete after ${h.seconds.toFixed(1)} s more`);
  // Whole UTC days, since a day bucket that starts before `from` would not be counted.
  const days = { from: Math.floor(q.from / DAY) * DAY, to: Math.ceil(q.to / DAY) * DAY };
  const d = await waitRolledUp(ctx, api, { ...q, ...days, source: '1d' }, opts);
  ctx.log(`    1d rollups complete after ${d.seconds.toFixed(1)} s more`);
  return { rollup1mSeconds: m.seconds, rollup1hSeconds: h.seconds, rollup1dSeconds: d.seconds };
}
