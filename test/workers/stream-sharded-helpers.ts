import { env } from 'cloudflare:test';
import type { StreamSample } from '../../schema/wire/stream.ts';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { newApiKey } from '../../workers/src/services/credentials/tokens.ts';
import {
  bucket,
  hubByName,
  publishHubFor,
  relayName,
  shardName,
  streamLayout,
} from '../../workers/src/services/streams/routing.ts';
import { packSamples } from './stream-test-helpers.ts';

/** The layout of the project running the file (vitest.config.ts's `workers-sharded`). */
export const layout = streamLayout(env);

/** A device id that the routing places on publish shard `k`. */
export function deviceOnShard(k: number, tag = 'dev'): string {
  for (let n = 0; ; n++) {
    const id = `${tag}_${k}_${n}`;
    if (bucket(id, layout.shards) === k) return id;
  }
}

/** A read key of the org whose viewers the routing sends to relay `j`. */
export async function keyOnRelay(orgId: string, j: number): Promise<{ apiKey: string; keyId: string }> {
  let keyId = newId('key');
  while (bucket(keyId, layout.relays) !== j) keyId = newId('key');
  const apiKey = newApiKey();
  await env.DB.prepare(
    'INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(keyId, orgId, `relay ${j}`, apiKey.slice(0, 12), await sha256Hex(apiKey), '["read"]', Date.now())
    .run();
  return { apiKey, keyId };
}

export const shardHub = (orgId: string, k: number) => hubByName(env, shardName(layout, orgId, k));
export const relayHub = (orgId: string, j: number) => hubByName(env, relayName(orgId, j));

/** Publishes one device's samples where its DeviceHub would: the device's shard. */
export const publishFrom = (orgId: string, deviceId: string, samples: readonly StreamSample[]) =>
  publishHubFor(env, orgId, deviceId).publish(packSamples(samples));

/** The value of each sample of data frames. */
export const valuesOf = (frames: readonly object[]) =>
  frames.flatMap((f) => (f as { samples: { value: number }[] }).samples.map((s) => s.value));
