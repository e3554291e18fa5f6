import { z } from 'zod';

/** Default cap on samples per batch; the Worker's `INGEST_MAX_SAMPLES` var can lower or raise it. */
export const INGEST_MAX_SAMPLES = 5000;

/** Prometheus-compatible metric names, so `/v1/metrics` can expose them unchanged. */
export const metricName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/, 'metric must match [a-zA-Z_][a-zA-Z0-9_]* (e.g. cpu_usage_percent)');

/**
 * Prometheus label names; names starting with `__` are reserved, as in Prometheus. Written
 * without a lookahead so the pattern in the OpenAPI document suits every JSON Schema tool.
 */
const LABEL_NAME = /^(?:[a-zA-Z][a-zA-Z0-9_]{0,63}|_[a-zA-Z0-9][a-zA-Z0-9_]{0,62}|_)$/;
const LABEL_NAME_RULE = 'label names must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __';
const MAX_LABELS = 16;

/**
 * A sample's labels. The names are checked on the raw object's own keys before zod's record
 * parsing, which silently drops a `__proto__` key (the sample would land in the unlabelled
 * series); a bad name is an issue at `labels.<name>`.
 */
export const labelSet = z.preprocess(
  (raw, ctx) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const names = Object.keys(raw);
    const bad = names.find((name) => !LABEL_NAME.test(name));
    if (bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [bad],
        message: `${LABEL_NAME_RULE}, got ${JSON.stringify(bad.slice(0, 80))}`,
        input: raw,
      });
    } else if (names.length > MAX_LABELS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_LABELS} labels per sample`, input: raw });
    }
    return raw;
  },
  // The same rule again, so the JSON Schema derived from this one shows it.
  z.record(z.string().regex(LABEL_NAME, LABEL_NAME_RULE), z.string().max(256)).meta({ maxProperties: MAX_LABELS }),
);

/** Epoch milliseconds. The Worker also refuses samples too far in the future. */
export const timestampMs = z
  .number()
  .int('ts must be an integer of epoch milliseconds')
  .min(946_684_800_000, 'ts must be epoch milliseconds after 2000-01-01')
  .max(32_503_680_000_000, 'ts must be epoch milliseconds before 3000-01-01');

export const sample = z.strictObject({
  metric: metricName,
  ts: timestampMs,
  // z.number() refuses NaN and ±Infinity.
  value: z.number(),
  labels: labelSet.optional(),
});
export type Sample = z.infer<typeof sample>;

export const batchId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'batchId must be 1-100 characters of [A-Za-z0-9._:-]');

export const agentInfo = z.strictObject({
  version: z.string().max(64),
  hostname: z.string().max(255).optional(),
  /** When this agent process started (epoch ms); a new value records `agent.started`. */
  startedAt: timestampMs.optional(),
});

/** Builds the flat batch schema (one object per sample) for a given sample cap. */
export function flatBatchSchema(maxSamples = INGEST_MAX_SAMPLES) {
  return z.strictObject({
    batchId,
    samples: z
      .array(sample)
      .min(1, 'samples must not be empty')
      .max(maxSamples, `samples must hold at most ${maxSamples} entries`),
    agent: agentInfo.optional(),
  });
}

/** One point of a series: `[ts, value]`, epoch milliseconds and a finite number. */
export const point = z.tuple([timestampMs, z.number()]);

/** One series of the grouped body: its metric and labels once, then its points. */
export const seriesPoints = z.strictObject({
  metric: metricName,
  labels: labelSet.optional(),
  points: z.array(point).min(1, 'points must not be empty'),
});
export type SeriesPoints = z.infer<typeof seriesPoints>;

/**
 * Builds the series-grouped batch schema: `series` holds each series once with its points.
 * The cap counts points over all series, as the flat form counts samples; the Worker refuses
 * more with 413 `batch_too_large` before this schema runs.
 */
export function groupedBatchSchema(maxSamples = INGEST_MAX_SAMPLES) {
  return z.strictObject({
    batchId,
    series: z
      .array(seriesPoints)
      .min(1, 'series must not be empty')
      .max(maxSamples, `series must hold at most ${maxSamples} points in all`),
    agent: agentInfo.optional(),
  });
}

/**
 * Builds the batch schema for a given sample cap: the flat form (`samples`) or the grouped
 * form (`series`), never both. Both are strict objects, so a body holding `samples` and
 * `series` matches neither.
 */
export function ingestBatchSchema(maxSamples = INGEST_MAX_SAMPLES) {
  return z.union([
    flatBatchSchema(maxSamples).meta({ title: 'Flat batch', description: 'One object per sample.' }),
    groupedBatchSchema(maxSamples).meta({
      title: 'Series-grouped batch',
      description: `Each series once, with its points as [ts, value] pairs; at most ${maxSamples} points in all.`,
    }),
  ]);
}
/** The flat body (`samples`). */
export type IngestBatch = z.infer<ReturnType<typeof flatBatchSchema>>;
/** The series-grouped body (`series`). */
export type GroupedIngestBatch = z.infer<ReturnType<typeof groupedBatchSchema>>;
/** Either body form. */
export type IngestBody = IngestBatch | GroupedIngestBatch;
export type AgentInfo = z.infer<typeof agentInfo>;

/** What `POST /v1/ingest` (and the MQTT PUBACK path) acknowledges. */
export interface IngestAck {
  batchId: string;
  /** Samples stored by this request; 0 for a duplicate. */
  accepted: number;
  /**
   * True when this batch id had already been stored with the same samples: nothing was written
   * again. The same id with other samples is refused instead (`batch_conflict`).
   */
  duplicate: boolean;
}
