/** Example values for the OpenAPI entries of the read API, shared so the entries agree. */

export const EXAMPLE_DEVICE = 'dev_k3v9q2m8x1c7p4z0w6r5t2yb';
export const EXAMPLE_DEVICE_2 = 'dev_a8f2n5j1s9d3g7h4k6l0q2wc';
export const EXAMPLE_SERIES = 's_3f9a1c0e7b2d4a6c8e0f1a2b';
export const EXAMPLE_SERIES_2 = 's_8c1d2e3f4a5b6c7d8e9f0a1b';
const T = 1_795_305_600_000;

export const exampleHistorySeries = {
  seriesId: EXAMPLE_SERIES,
  deviceId: EXAMPLE_DEVICE,
  metric: 'cpu_usage_percent',
  labels: {},
  points: [
    { ts: T, value: 12.4 },
    { ts: T + 300_000, value: 17.9 },
  ],
};

export const exampleHistory = { from: T, to: T + 600_000, step: 300_000, agg: 'mean', source: '1m' };

export const exampleStats = {
  from: T,
  to: T + 3_600_000,
  source: 'raw',
  stats: [{ seriesId: EXAMPLE_SERIES, count: 360, min: 3.1, max: 88.2, mean: 14.7, sum: 5292, last: 9.8, p95: 61.5 }],
};

export const errorExample = (code: string, message: string, field?: string) => ({
  error: { code, message, ...(field ? { field } : {}) },
});
