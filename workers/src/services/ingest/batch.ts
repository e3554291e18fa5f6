import { ingestBatchSchema, type IngestBatch } from '../../../../schema/wire/ingest.ts';
import { ApiError, badRequest } from '../../errors.ts';
import { parse } from '../http/validate.ts';
import { settings } from '../../settings.ts';

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
  return batch;
}
