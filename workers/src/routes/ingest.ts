import { Hono } from 'hono';
import { ingestBatchSchema } from '../../../schema/wire/ingest.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError, unauthorized } from '../errors.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { unsupportedMediaType } from '../services/http/body.ts';
import { compactBatch, duplicateSample, validateBatch } from '../services/ingest/batch.ts';
import { batchConflict, refusalError, seriesLimit } from '../services/ingest/refusals.ts';
import { ingestLimitMessage } from '../services/ingest/token-bucket.ts';
import { settings } from '../settings.ts';

/** The refusal of a batch over its device's rate; the agent retries it after `Retry-After`. */
export function ingestRateLimited(perMinute: number, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'rate_limited', ingestLimitMessage(perMinute, retryAfterSeconds), {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** `POST /v1/ingest`: a device's batch, authenticated by its token, stored exactly once. */
export const ingestRoutes = new Hono<AppEnv>().post(
  '/',
  doc({
    operationId: 'ingestBatch',
    summary: "Send a batch of a device's samples",
    description:
      'Two body forms, stored alike: flat (`samples`: one object per sample) or series-grouped (`series`: each series once with `points` of `[ts, value]`, which is smaller and cheaper to check; the agent sends it). Send one of `samples` and `series`, not both. Atomic: an invalid sample stores nothing. A batch id already stored with the same samples is acknowledged as a duplicate and stored nothing again; with other samples it is a 409. The same samples in the other body form (or another order) are the same batch. Two samples of one series at one `ts` refuse the batch, so `accepted` is the number of points stored. `Content-Type: application/json` is required (a missing or other type is a 415). The body may be gzip-encoded (`Content-Encoding: gzip`); it is limited to INGEST_MAX_BYTES after decoding and INGEST_MAX_SAMPLES samples (5000 by default; in the grouped form, points over all series). Sample times (`ts`, epoch ms) must lie between 2000-01-01 and 10 minutes past the server clock. The reply is sent once the batch is durable.',
    tag: 'Ingest',
    auth: 'device',
    body: ingestBatchSchema(),
    bodyMaxBytes: (env) => settings(env).INGEST_MAX_BYTES,
    parseBody: validateBatch,
    example: {
      body: {
        batchId: 'host-1-000042',
        samples: [
          { metric: 'cpu_usage_percent', ts: 1795000000000, value: 12.5 },
          { metric: 'disk_used_bytes', ts: 1795000000000, value: 12000000000, labels: { mount: '/' } },
        ],
      },
    },
    responses: {
      200: {
        description: 'Stored (or already stored: `duplicate`)',
        example: { batchId: 'host-1-000042', accepted: 2, duplicate: false },
      },
      400: {
        description:
          'Invalid input (`field` names it, e.g. `samples.3.ts` or `series.3.points.17.1`), including a label name outside [a-zA-Z_][a-zA-Z0-9_]* or starting with `__`; or `duplicate_sample`: two samples of one series (metric and labels) at one `ts`, naming the second. Nothing is stored.',
        example: duplicateSample(1, 0).body(),
      },
      409: {
        description:
          '`batch_conflict`: this batch id was stored before with other samples. Nothing is stored; send changed samples under a new `batchId`. (The same id with the same samples is a `duplicate` 200.)',
        example: batchConflict('host-1-000042').body(),
      },
      422: {
        description:
          "`series_limit`: the batch would register series beyond the device's limit (SERIES_PER_DEVICE, 10,000 by default); `field` names the first sample (`samples.4`) or series (`series.2`) over it. Nothing is stored. Not retryable as is: raise the limit or delete series.",
        example: seriesLimit(10_000, 'samples.0').body(),
      },
      413: {
        description: 'More samples than INGEST_MAX_SAMPLES, or a body over INGEST_MAX_BYTES',
        example: new ApiError(413, 'batch_too_large', 'samples holds 5001 entries; the maximum is 5000', {
          field: 'samples',
        }).body(),
      },
      415: {
        description: 'The body is not JSON',
        example: unsupportedMediaType('text/plain').body(),
      },
      429: {
        description:
          "Over the device's ingest rate (INGEST_RATE_PER_MINUTE, 600 by default); send it again after `Retry-After`",
        example: { error: ingestRateLimited(600, 1).body().error },
      },
    },
  }),
  async (c) => {
    const { deviceId, tokenHash } = c.var.device;
    const batch = compactBatch(c.req.valid('json'));
    const result = await deviceHubFor(c.env, deviceId).ingest(deviceId, tokenHash, batch);
    if (result.status === 'unauthorized') throw unauthorized('device token is unknown or revoked');
    if (result.status === 'rate_limited') throw ingestRateLimited(result.perMinute, result.retryAfterSeconds);
    if (result.status === 'refused') throw refusalError(result.refusal);
    return c.json(result.ack, 200);
  },
);
