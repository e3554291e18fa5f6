import type { AgentInfo } from '../../../../schema/wire/ingest.ts';
import { sha256Hex } from '../credentials/crypto.ts';

/** One distinct series of a batch. */
export interface CompactSeries {
  metric: string;
  /** Absent when the series has no labels. */
  labels?: Record<string, string>;
  /** Canonical key within the device (`seriesKey`). */
  key: string;
  /** Where the series first appears in the body (`samples.4`, `series.2`), for refusals. */
  field: string;
}

/**
 * A validated batch as the Worker hands it to the DeviceHub: each series once, and the points
 * in typed columns, which cross the RPC as three buffers instead of a thousand objects. Points
 * keep the body's order (sample order of the flat form, series by series in the grouped form).
 */
export interface CompactBatch {
  batchId: string;
  agent?: AgentInfo;
  series: CompactSeries[];
  /** Per point, its series' index in `series`. */
  seriesIndex: Uint32Array;
  ts: Float64Array;
  values: Float64Array;
}

/** Prefix of the canonical hash; a stored hash without it is the older, order-bound form. */
const CANONICAL = 'c1:';

/**
 * SHA-256 of the batch's samples in a canonical form: series by key, points by time, so the
 * same samples hash the same whichever body form and key order they came in. The input is the
 * keys and point counts as text, then the points as float64 pairs (-0 taken as 0, as JSON does).
 */
export async function batchHash(batch: CompactBatch): Promise<string> {
  const order = batch.series.map((_, i) => i).sort((a, b) => cmp(batch.series[a]!.key, batch.series[b]!.key));
  const rank = new Uint32Array(batch.series.length);
  order.forEach((s, r) => (rank[s] = r));
  const n = batch.ts.length;
  const points = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => rank[batch.seriesIndex[a]!]! - rank[batch.seriesIndex[b]!]! || batch.ts[a]! - batch.ts[b]!,
  );
  const counts = new Uint32Array(batch.series.length);
  for (let i = 0; i < n; i++) counts[batch.seriesIndex[i]!]!++;
  const head = new TextEncoder().encode(order.map((s) => `${batch.series[s]!.key}\n${counts[s]}\n`).join(''));
  const buf = new Uint8Array(head.byteLength + n * 16);
  buf.set(head);
  const view = new DataView(buf.buffer, head.byteLength);
  points.forEach((p, j) => {
    view.setFloat64(j * 16, batch.ts[p]!, true);
    view.setFloat64(j * 16 + 8, batch.values[p]! + 0, true);
  });
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return CANONICAL + Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** True when a stored hash is the older form, which hashed the samples in their body order. */
export const isLegacyHash = (stored: string) => !stored.startsWith(CANONICAL);

/**
 * The older hash of the batch, as stored for batch ids received before the canonical one: the
 * samples in body order, and (for a grouped re-send of such a batch) ordered by time, which is
 * the order agents spooled them in.
 */
export async function legacyHashes(batch: CompactBatch): Promise<string[]> {
  const n = batch.ts.length;
  const asBody = Array.from({ length: n }, (_, i) => i);
  const byTime = [...asBody].sort((a, b) => batch.ts[a]! - batch.ts[b]!);
  const labelled = batch.series.map((s) => Object.entries(s.labels ?? {}).sort(([a], [b]) => cmp(a, b)));
  const hash = (order: number[]) =>
    sha256Hex(
      JSON.stringify(
        order.map((i) => {
          const s = batch.seriesIndex[i]!;
          return [batch.series[s]!.metric, batch.ts[i], batch.values[i], labelled[s]];
        }),
      ),
    );
  return Promise.all([hash(asBody), hash(byTime)]);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
