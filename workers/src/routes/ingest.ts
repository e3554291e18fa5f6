import { Hono } from 'hono';
import { ingestBatchSchema } from '../../../schema/wire/ingest.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError, unauthorized } from '../errors.ts';
import { deviceHubFor } from '../objects/device-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { unsupportedMediaType } from '../services/http/body.ts';
import { validateBatch } from '../services/ingest/batch.ts';
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
      'Atomic: an invalid sample stores nothing. A batch id already stored is acknowledged as a duplicate and stored nothing again. `Content-Type: application/json` is required (a missing or other type is a 415). The body may be gzip-encoded (`Content-Encoding: gzip`); it is limited to INGEST_MAX_BYTES after decoding and INGEST_MAX_SAMPLES samples (5000 by default). Sample times (`ts`, epoch ms) must lie between 2000-01-01 and 10 minutes past the server clock. The reply is sent once the batch is durable.',
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
    const batch = c.req.valid('json');
    const result = await deviceHubFor(c.env, deviceId).ingest(deviceId, tokenHash, batch);
    if (result.status === 'unauthorized') throw unauthorized('device token is unknown or revoked');
    if (result.status === 'rate_limited') throw ingestRateLimited(result.perMinute, result.retryAfterSeconds);
    return c.json(result.ack, 200);
  },
);
