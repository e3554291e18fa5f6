import { SELF } from 'cloudflare:test';
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

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];

/** Cancels every SSE stream opened since the last call: run it after each test. */
export async function closeSseReaders(): Promise<void> {
  for (const r of readers.splice(0)) await r.cancel().catch(() => undefined);
}

/** Opens the SSE stream and reads it one SSE block (event or comment) at a time. */
export async function openSse(apiKey: string, subject: string, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`http://x/v1/stream/sse?subject=${encodeURIComponent(subject)}`, {
    headers: { Authorization: `Bearer ${apiKey}`, ...headers },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  readers.push(reader);
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async (): Promise<SseEvent> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const e: SseEvent = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) e.comment = line.slice(1).trim();
          const m = /^(id|event|data): (.*)$/.exec(line);
          if (m) e[m[1] as 'id' | 'event' | 'data'] = m[2];
        }
        return e;
      }
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no SSE data within 3 s')), 3000)),
      ]);
      if (chunk.done) throw new Error('stream ended');
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  /** The next event that is not a comment or the opening `retry`. */
  const nextEvent = async () => {
    for (;;) {
      const e = await next();
      if (e.event) return e;
    }
  };
  return { next, nextEvent, close: () => reader.cancel() };
}
