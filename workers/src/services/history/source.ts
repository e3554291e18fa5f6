import { type HistorySource, historySources, SOURCE_RESOLUTION_MS } from '../../../../schema/wire/history.ts';
import { badRequest } from '../../errors.ts';
import { autoStep, bucketCount } from './step.ts';
import { DAY_MS, HOUR_MS } from '../../time.ts';

/** Which source answers a history or stats query, and with which step. Pure: no I/O. */

export type RollupSource = Exclude<HistorySource, 'raw'>;

/** Days each source keeps, from the caller's organisation; `null` keeps forever. */
export type Retention = Record<HistorySource, number | null>;

/** Up to this range, a query without a step gets raw points as stored. */
export const RAW_POINTS_MAX_RANGE_MS = 6 * HOUR_MS;
/** Series × buckets one history query may compute. */
export const MAX_SERIES_BUCKETS = 100_000;

const FALLBACK_NOTE = 'no retention covers from: answered from the finest rollup that still holds data for the range';

const COARSEST_FIRST: readonly RollupSource[] = ['1d', '1h', '1m'];

export interface HistoryPlanInput {
  from: number;
  to: number;
  step?: number | undefined;
  source: HistorySource | 'auto';
  seriesCount: number;
}

/**
 * `step: null` means raw points as stored. `sources` are tried in order: the first that holds
 * data for the range answers, else the last one (only several when no retention covers `from`).
 */
export interface HistoryPlan {
  step: number | null;
  sources: HistorySource[];
  note?: string;
}

export function covers(retentionDays: number | null, from: number, now: number): boolean {
  return retentionDays === null || from >= now - retentionDays * DAY_MS;
}

/** Picks step and source for `GET /v1/history`; a step no source can serve is a 400 naming `step`. */
export function planHistory(q: HistoryPlanInput, retention: Retention, now: number): HistoryPlan {
  const plan = chooseSource(q, retention, now);
  if (plan.step !== null && q.seriesCount * bucketCount(q.from, q.to, plan.step) > MAX_SERIES_BUCKETS) {
    throw badRequest(
      'invalid_input',
      `step: ${q.seriesCount} series × ${bucketCount(q.from, q.to, plan.step)} buckets of ${plan.step} ms is more than ${MAX_SERIES_BUCKETS} points; use a larger step or a shorter range`,
      'step',
    );
  }
  return plan;
}

function chooseSource(q: HistoryPlanInput, retention: Retention, now: number): HistoryPlan {
  if (q.source === 'raw') {
    const plan = { step: q.step ?? null, sources: ['raw' as const] };
    return covers(retention.raw, q.from, now) ? plan : { ...plan, note: pastRetention('raw', retention) };
  }
  if (q.source !== 'auto') {
    const resolution = SOURCE_RESOLUTION_MS[q.source];
    if (q.step !== undefined && q.step % resolution !== 0) {
      throw badRequest(
        'invalid_input',
        `step: ${q.step} ms is not a multiple of the ${q.source} source's ${resolution} ms buckets`,
        'step',
      );
    }
    const plan = { step: q.step ?? autoStep(q.from, q.to, resolution), sources: [q.source] };
    return covers(retention[q.source], q.from, now) ? plan : { ...plan, note: pastRetention(q.source, retention) };
  }
  const rawCovers = covers(retention.raw, q.from, now);
  if (q.step === undefined && rawCovers && q.to - q.from <= RAW_POINTS_MAX_RANGE_MS) {
    return { step: null, sources: ['raw'] };
  }
  const step = q.step ?? autoStep(q.from, q.to, 1);
  const fitting = COARSEST_FIRST.filter((s) => step % SOURCE_RESOLUTION_MS[s] === 0);
  const covering = fitting.find((s) => covers(retention[s], q.from, now));
  if (covering) return { step, sources: [covering] };
  if (rawCovers) return { step, sources: ['raw'] };
  if (fitting.length === 0) {
    return {
      step,
      sources: ['raw'],
      note: 'no retention covers from and no rollup fits this step: raw data still held',
    };
  }
  return { step, sources: [...fitting].reverse(), note: FALLBACK_NOTE };
}

/** The note of an explicit source asked for a range it no longer keeps (its retention is a number then). */
function pastRetention(source: HistorySource, retention: Retention): string {
  return `from is past the ${source} source's retention (${retention[source]} days): its data before then is deleted; a coarser step reads the 1h or 1d rollups`;
}

/** Stats come from raw samples (with p95) while raw retention covers `from`, else the finest covering rollup. */
export function planStats(from: number, retention: Retention, now: number): HistoryPlan {
  const finestFirst = historySources;
  const covering = finestFirst.find((s) => covers(retention[s], from, now));
  if (covering) return { step: null, sources: [covering] };
  return {
    step: null,
    sources: finestFirst.filter((s) => s !== 'raw'),
    note: FALLBACK_NOTE,
  };
}
