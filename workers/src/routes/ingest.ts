import { Hono } from 'hono';
import { ingestBatchSchema, INGEST_MAX_SAMPLES } from '../../../schema/wire/ingest.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError, badRequest, unauthorized } from '../errors.ts';
import { deviceHubFor } from '../objects/device-hub.ts';
import { parseJson, readBody } from '../services/body.ts';
import { sha256Hex } from '../services/crypto.ts';
import { parseDeviceToken } from '../services/tokens.ts';
import { parse } from '../services/validate.ts';

/** Samples may run ahead of the Worker's clock by at most this (agents' clocks drift). */
const MAX_FUTURE_MS = 10 * 60 * 1000;

let cachedSchema: { max: number; schema: ReturnType<typeof ingestBatchSchema> } | undefined;
function batchSchema(max: number) {
  if (cachedSchema?.max !== max) cachedSchema = { max, schema: ingestBatchSchema(max) };
  return cachedSchema.schema;
}

/** `POST /v1/ingest`: a device's batch, authenticated by its token, stored exactly once. */
export const ingestRoutes = new Hono<AppEnv>().post('/', async (c) => {
  const token = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const parsed = token ? parseDeviceToken(token) : null;
  if (!token || !parsed) throw unauthorized('send the device token as "Authorization: Bearer ewd.…"');
  const tokenHash = await sha256Hex(token);
  const hub = deviceHubFor(c.env, parsed.deviceId);
  if (!(await hub.authenticate(parsed.deviceId, tokenHash))) throw unauthorized('device token is unknown or revoked');

  const type = c.req.header('content-type');
  if (type && !/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `Content-Type must be application/json, got "${type}"`);
  }
  const maxSamples = Number(c.env.INGEST_MAX_SAMPLES) || INGEST_MAX_SAMPLES;
  const raw = parseJson(await readBody(c.req.raw, Number(c.env.INGEST_MAX_BYTES) || 2_000_000));
  if (Array.isArray((raw as { samples?: unknown } | null)?.samples)) {
    const n = (raw as { samples: unknown[] }).samples.length;
    if (n > maxSamples) {
      throw new ApiError(413, 'batch_too_large', `samples holds ${n} entries; the maximum is ${maxSamples}`, {
        field: 'samples',
      });
    }
  }
  const batch = parse(batchSchema(maxSamples), raw);
  const limit = Date.now() + MAX_FUTURE_MS;
  const ahead = batch.samples.findIndex((s) => s.ts > limit);
  if (ahead >= 0) {
    throw badRequest(
      'invalid_input',
      `samples.${ahead}.ts is more than 10 minutes in the future`,
      `samples.${ahead}.ts`,
    );
  }

  const result = await hub.ingest(parsed.deviceId, tokenHash, batch);
  if (result.status === 'unauthorized') throw unauthorized('device token is unknown or revoked');
  return c.json(result.ack, 200);
});
