import { z } from 'zod';

/** Default cap on samples per batch; the Worker's `INGEST_MAX_SAMPLES` var can lower or raise it. */
export const INGEST_MAX_SAMPLES = 5000;

/** Prometheus-compatible metric names, so `/v1/metrics` can expose them unchanged. */
export const metricName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/, 'metric must match [a-zA-Z_][a-zA-Z0-9_]* (e.g. cpu_usage_percent)');

export const labelSet = z
  .record(
    z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/, 'label names must match [a-zA-Z_][a-zA-Z0-9_]*'),
    z.string().max(256),
  )
  .refine((l) => Object.keys(l).length <= 16, 'at most 16 labels per sample');

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

/** Builds the batch schema for a given sample cap. */
export function ingestBatchSchema(maxSamples = INGEST_MAX_SAMPLES) {
  return z.strictObject({
    batchId,
    samples: z
      .array(sample)
      .min(1, 'samples must not be empty')
      .max(maxSamples, `samples must hold at most ${maxSamples} entries`),
    agent: agentInfo.optional(),
  });
}
export type IngestBatch = z.infer<ReturnType<typeof ingestBatchSchema>>;

/** What `POST /v1/ingest` (and the MQTT PUBACK path) acknowledges. */
export interface IngestAck {
  batchId: string;
  /** Samples stored by this request; 0 for a duplicate. */
  accepted: number;
  /** True when the batch id had already been stored: nothing was written again. */
  duplicate: boolean;
}
