import { expect } from 'vitest';
import type { StreamSample } from '../../schema/wire/stream.ts';
import { sampleSubject } from '../../workers/src/services/streams/subjects.ts';
import type { Client, Frame } from './stream-client.ts';

/** A sample of `metric` on `deviceId`, with a series id derived from both unless given. */
export function sample(
  orgId: string,
  deviceId: string,
  metric: string,
  value = 1,
  seriesId = `ser_${deviceId}_${metric}`,
): StreamSample {
  return {
    subject: sampleSubject(orgId, null, deviceId, metric),
    seriesId,
    deviceId,
    metric,
    labels: {},
    ts: Date.now(),
    value,
  };
}

/** Subscribes and expects the confirmation. */
export async function subscribed(client: Client, id: string, subject: string, extra: object = {}) {
  expect(await client.ask({ type: 'subscribe', id, subject, ...extra })).toEqual({ type: 'subscribed', id, subject });
}

/** Reads `n` frames. */
export async function take(client: Client, n: number, timeoutMs = 3000): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let i = 0; i < n; i++) out.push(await client.next(timeoutMs));
  return out;
}
