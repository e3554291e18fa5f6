import { ingestBatchSchema, type IngestBatch } from '../../../../schema/wire/ingest.ts';
import { ApiError, badRequest } from '../../errors.ts';
import { parse } from '../http/validate.ts';
import { settings } from '../../settings.ts';
import { seriesKey } from './series-key.ts';

/** Samples may run ahead of the Worker's clock by at most this (agents' clocks drift). */
const MAX_FUTURE_MS = 10 * 60 * 1000;

let cachedSchema: { max: number; schema: ReturnType<typeof ingestBatchSchema> } | undefined;

/**
 * Validates a parsed ingest payload (HTTPS body or MQTT publish) with the configured sample
 * cap. Throws an ApiError naming the field: 413 `batch_too_large`, else 400 `invalid_input`.
 */
export function validateBatch(raw: unknown, env: Env): IngestBatch {
  const max = settings(env).INGEST_MAX_SAMPLES;
  const samples = (raw as { samples?: unknown } | null)?.samples;
  if (Array.isArray(samples) && samples.length > max) {
    throw new ApiError(413, 'batch_too_large', `samples holds ${samples.length} entries; the maximum is ${max}`, {
      field: 'samples',
    });
  }
  if (cachedSchema?.max !== max) cachedSchema = { max, schema: ingestBatchSchema(max) };
  const batch = parse(cachedSchema.schema, raw);
  const limit = Date.now() + MAX_FUTURE_MS;
  const ahead = batch.samples.findIndex((s) => s.ts > limit);
  if (ahead >= 0) {
    const field = `samples.${ahead}.ts`;
    throw badRequest('invalid_input', `${field} is more than 10 minutes in the future`, field);
  }
  const repeated = repeatedSample(batch);
  if (repeated) throw repeated;
  return batch;
}

/**
 * The refusal of a batch holding two samples of one series at one timestamp: only one of them
 * could be stored, so acknowledging both would overstate what was kept. Names the second one.
 */
export function duplicateSample(index: number, first: number): ApiError {
  return badRequest(
    'duplicate_sample',
    `samples.${index} repeats the metric, labels and ts of samples.${first}; send one value per series and timestamp`,
    `samples.${index}`,
  );
}

function repeatedSample(batch: IngestBatch): ApiError | undefined {
  const seen = new Map<string, number>();
  for (const [i, s] of batch.samples.entries()) {
    const key = `${s.ts} ${seriesKey(s.metric, s.labels)}`;
    const first = seen.get(key);
    if (first !== undefined) return duplicateSample(i, first);
    seen.set(key, i);
  }
  return undefined;
}
