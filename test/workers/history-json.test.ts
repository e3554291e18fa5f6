import { describe, expect, it } from 'vitest';
import { historyJson, pointsJson, seriesHistoryJson } from '../../workers/src/services/history/history-json.ts';
import type { HistoryResult } from '../../workers/src/services/history/read.ts';

const points = [
  { ts: 1_795_219_200_000, value: 12.5 },
  { ts: 1_795_219_210_000, value: -0 },
  { ts: 1_795_219_220_000, value: 5e-324 },
  { ts: 1_795_219_230_000, value: 2 ** 53 + 2 },
  { ts: 1_795_219_240_000, value: -1.7976931348623157e308 },
  { ts: 1_795_219_250_000, value: 0.1 + 0.2 },
];
const columns = {
  ts: Float64Array.from(points, (p) => p.ts),
  values: Float64Array.from(points, (p) => p.value),
};

function result(pointsOf: (i: number) => HistoryResult['series'][number]['points'], note?: string): HistoryResult {
  return {
    from: 1_795_219_200_000,
    to: 1_795_219_300_000,
    step: null,
    agg: null,
    source: 'raw',
    ...(note ? { note } : {}),
    series: [0, 1].map((i) => ({
      seriesId: `s_${i}`,
      deviceId: 'dev_a',
      metric: 'temp_celsius',
      labels: { probe: 'inlet, "north"', points: '"points":[]' },
      points: pointsOf(i),
    })),
  };
}

/** What `c.json` gave before: the result with every point an object. */
const asObjects = (r: HistoryResult) => ({ ...r, series: r.series.map((s) => ({ ...s, points })) });

describe('history JSON written from columns', () => {
  it('is byte-identical to JSON.stringify of the point objects', () => {
    expect(pointsJson(columns)).toBe(JSON.stringify(points));
    expect(pointsJson({ ts: new Float64Array(0), values: new Float64Array(0) })).toBe('[]');
    expect(pointsJson(points)).toBe(JSON.stringify(points));
  });

  it('writes an overflowing aggregate as null, like JSON.stringify', () => {
    const inf = { ts: Float64Array.of(1), values: Float64Array.of(Infinity) };
    expect(pointsJson(inf)).toBe(JSON.stringify([{ ts: 1, value: Infinity }]));
  });

  it('gives GET /v1/history and GET /v1/series/:id/history the bodies c.json gave', () => {
    for (const note of [undefined, 'no source covers from: answered from 1d']) {
      const r = result((i) => (i === 0 ? columns : points), note);
      expect(historyJson(r)).toBe(JSON.stringify(asObjects(r)));
      const { series, ...rest } = asObjects(r);
      expect(seriesHistoryJson(r)).toBe(JSON.stringify({ ...series[0], ...rest }));
    }
  });
});
