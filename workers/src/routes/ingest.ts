import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { ApiError, unauthorized } from '../errors.ts';
import { requireDevice } from '../middleware/device-auth/index.ts';
import { deviceHubFor } from '../objects/device-hub.ts';
import { parseJson, readBody } from '../services/body.ts';
import { validateBatch } from '../services/ingest-batch.ts';

/** `POST /v1/ingest`: a device's batch, authenticated by its token, stored exactly once. */
export const ingestRoutes = new Hono<AppEnv>().post('/', requireDevice(), async (c) => {
  const { deviceId, tokenHash } = c.var.device;
  const type = c.req.header('content-type');
  if (type && !/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `Content-Type must be application/json, got "${type}"`);
  }
  const raw = parseJson(await readBody(c.req.raw, Number(c.env.INGEST_MAX_BYTES) || 2_000_000));
  const batch = validateBatch(raw, c.env);
  const result = await deviceHubFor(c.env, deviceId).ingest(deviceId, tokenHash, batch);
  if (result.status === 'unauthorized') throw unauthorized('device token is unknown or revoked');
  return c.json(result.ack, 200);
});
