import { expect } from 'vitest';
import type { StreamSample } from '../../schema/wire/stream.ts';
import type { ChannelHub } from '../../workers/src/objects/channel-hub/index.ts';
import type { PackedSamples, SeriesHead } from '../../workers/src/objects/channel-hub/packed.ts';
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

/** Packs samples given one by one as a DeviceHub publishes them: each series' head once. */
export function packSamples(samples: readonly StreamSample[]): PackedSamples {
  const heads = new Map<string, number>();
  const series: SeriesHead[] = [];
  const index = samples.map(({ ts: _ts, value: _value, ...head }) => {
    const key = JSON.stringify([head.subject, head.seriesId, head.deviceId, head.metric, head.labels]);
    let at = heads.get(key);
    if (at === undefined) heads.set(key, (at = series.push(head) - 1));
    return at;
  });
  return { series, index, ts: samples.map((s) => s.ts), values: samples.map((s) => s.value) };
}

/** Publishes samples to a ChannelHub the way a DeviceHub does. */
export const publish = (hub: DurableObjectStub<ChannelHub>, samples: readonly StreamSample[]) =>
  hub.publish(packSamples(samples));
