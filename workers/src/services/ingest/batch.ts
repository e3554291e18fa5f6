import { flatBatchSchema, groupedBatchSchema, type IngestBody } from '../../../../schema/wire/ingest.ts';
import { ApiError, badRequest } from '../../errors.ts';
import { parse } from '../http/validate.ts';
import { settings } from '../../settings.ts';
import type { CompactBatch } from './compact.ts';
import { countPoints, groupedPointField, scanFlat, scanGrouped, type Scanned } from './scan.ts';

/** Samples may run ahead of the Worker's clock by at most this (agents' clocks drift). */
const MAX_FUTURE_MS = 10 * 60 * 1000;

let cachedSchemas:
  { max: number; flat: ReturnType<typeof flatBatchSchema>; grouped: ReturnType<typeof groupedBatchSchema> } | undefined;

/** Validated bodies and their compact form: `doc()` hands the route the body, the route takes this. */
const compacted = new WeakMap<object, CompactBatch>();

/**
 * Validates a parsed ingest payload (HTTPS body or MQTT publish), in either body form, with
 * the configured sample cap. Throws an ApiError naming the field: 413 `batch_too_large`, else
 * 400 `invalid_input`, `duplicate_sample`. The body's compact form is then `compactBatch(body)`.
 */
export function validateBatch(raw: unknown, env: Env): IngestBody {
  const max = settings(env).INGEST_MAX_SAMPLES;
  const body = raw as { samples?: unknown; series?: unknown } | null;
  const grouped = body !== null && typeof body === 'object' && 'series' in body;
  if (grouped && 'samples' in body) {
    throw badRequest('invalid_input', 'send either samples (flat) or series (grouped), not both', 'series');
  }
  const list = grouped ? body.series : body?.samples;
  const count = !Array.isArray(list) ? 0 : grouped ? countPoints(list) : list.length;
  if (count > max) {
    const message = grouped
      ? `series holds ${count} points; the maximum is ${max}`
      : `samples holds ${count} entries; the maximum is ${max}`;
    throw new ApiError(413, 'batch_too_large', message, { field: grouped ? 'series' : 'samples' });
  }
  const limit = Date.now() + MAX_FUTURE_MS;
  const scanned = grouped ? scanGrouped(raw, limit) : scanFlat(raw, limit);
  // The scan accepts only what the schema accepts; anything else is named by the schema itself.
  if (!scanned) throw schemaError(raw, grouped, max);
  const field = (i: number) => (grouped ? groupedPointField(list as unknown[], i) : `samples.${i}`);
  refuseScanned(scanned, field, grouped);
  compacted.set(raw as object, scanned.batch);
  return raw as IngestBody;
}

/** The compact form of a body `validateBatch` accepted. */
export function compactBatch(body: IngestBody): CompactBatch {
  const batch = compacted.get(body);
  if (!batch) throw new Error('compactBatch: the body was not validated by validateBatch');
  return batch;
}

function schemaError(raw: unknown, grouped: boolean, max: number): ApiError {
  if (cachedSchemas?.max !== max) {
    cachedSchemas = { max, flat: flatBatchSchema(max), grouped: groupedBatchSchema(max) };
  }
  parse(grouped ? cachedSchemas.grouped : cachedSchemas.flat, raw);
  // The schema accepted what the scan refused: a gap in scan.ts, never the caller's fault.
  throw new Error('ingest scan refused a batch its schema accepts');
}

function refuseScanned(s: Scanned, field: (i: number) => string, grouped: boolean): void {
  if (s.future !== undefined) {
    const f = `${field(s.future)}${grouped ? '.0' : '.ts'}`;
    throw badRequest('invalid_input', `${f} is more than 10 minutes in the future`, f);
  }
  if (s.repeated) {
    const { index, first } = s.repeated;
    throw grouped ? duplicatePoint(field(index), field(first)) : duplicateSample(index, first);
  }
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

/** The grouped form's `duplicate_sample`: a point repeats the series and ts of an earlier one. */
export function duplicatePoint(field: string, first: string): ApiError {
  return badRequest(
    'duplicate_sample',
    `${field} repeats the series and ts of ${first}; send one value per series and timestamp`,
    field,
  );
}
