/**
 * Query answers of both systems as one shape (series key → points, ts in ms), so they can be
 * counted and compared value by value.
 */
import type { Point } from '../schema/wire/history.ts';
import type { VmSeries } from './victoria-metrics.ts';

export type PointMap = Map<string, Point[]>;

export const pointCount = (m: PointMap) => [...m.values()].reduce((n, p) => n + p.length, 0);

/**
 * VictoriaMetrics' series keyed by `key(labels)`. `shiftMs` moves its timestamps onto
 * Edgewatch's: a `*_over_time(…[1h])` point at t covers (t − 1h, t], Edgewatch's bucket b
 * covers [b, b + 1h), so the same samples sit at t = b + 1h and the shift is −1 h.
 */
export function vmPoints(series: VmSeries[], key: (labels: Record<string, string>) => string, shiftMs = 0): PointMap {
  return new Map(
    series.map((s) => [
      key(s.metric),
      s.values.map(([t, v]) => ({ ts: Math.round(t * 1000) + shiftMs, value: Number(v) })),
    ]),
  );
}

export interface Comparison {
  /** Points present on both sides at the same series and timestamp. */
  matched: number;
  /** Of those, values that differ beyond rounding (relative 1e-9). */
  differing: number;
  /** Points only one side returned. */
  onlyOne: number;
  /** The first difference, for the notes. */
  example?: string;
}

export function comparePoints(a: PointMap, b: PointMap): Comparison {
  const out: Comparison = { matched: 0, differing: 0, onlyOne: 0 };
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const other = new Map((b.get(key) ?? []).map((p) => [p.ts, p.value]));
    for (const p of a.get(key) ?? []) {
      const v = other.get(p.ts);
      other.delete(p.ts);
      if (v === undefined) {
        out.onlyOne++;
        continue;
      }
      out.matched++;
      if (Math.abs(v - p.value) > 1e-9 * Math.max(1, Math.abs(v))) {
        out.differing++;
        out.example ??= `${key} @ ${new Date(p.ts).toISOString()}: ${p.value} vs ${v}`;
      }
    }
    out.onlyOne += other.size;
  }
  return out;
}

/** "8,640/8,640 values equal" or what differed, for a row's notes. */
export function describe(c: Comparison): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [`${n(c.matched - c.differing)}/${n(c.matched + c.onlyOne)} points equal to VM's`];
  if (c.onlyOne) parts.push(`${n(c.onlyOne)} on one side only`);
  if (c.example) parts.push(`e.g. ${c.example}`);
  return parts.join(', ');
}
