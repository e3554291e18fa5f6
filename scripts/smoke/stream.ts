import { createStreamClient, type StreamState } from '../../clients/stream/src/index.ts';
import { CheckFailed } from './api.ts';
import { ingestOne, METRIC, probeValue, type SmokeContext } from './checks.ts';

/** Rejects with `message()` after `ms`, unless `promise` settles first. */
function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Opens the live stream (docs/stream-protocol.md) with the project's own client, subscribes to the
 * test device's probe metric, ingests a new sample and waits for it to arrive in a `data` frame.
 */
export async function liveStream(ctx: SmokeContext): Promise<string> {
  const { orgId, deviceId } = ctx.made;
  const value = probeValue();
  let state: { state: StreamState; code?: number; reason?: string } = { state: 'connecting' };
  let arrived!: () => void;
  const seen = new Promise<void>((resolve) => (arrived = resolve));
  const client = createStreamClient({
    url: `${ctx.api.base.replace(/^http/, 'ws')}/v1/stream`,
    headers: { authorization: `Bearer ${ctx.api.key}` },
    // A reconnect waits up to a check's timeout: a stream that fails is reported, not retried in a tight loop.
    backoff: { baseMs: ctx.timeoutMs, maxMs: ctx.timeoutMs },
    onState: (s, info) => (state = { state: s, code: info?.code, reason: info?.reason }),
    onData: (frame) => {
      if (frame.samples.some((s) => s.deviceId === deviceId && s.metric === METRIC && s.value === value)) arrived();
    },
  });
  const where = () =>
    `stream state ${state.state}${state.code ? `, last close ${state.code}${state.reason ? ` ${state.reason}` : ''}` : ''}`;
  try {
    const started = performance.now();
    await within(
      client.subscribe('smoke', `org.${orgId}.site.*.device.${deviceId}.metric.${METRIC}`),
      ctx.timeoutMs,
      () => `no subscription confirmed within ${ctx.timeoutMs} ms (${where()})`,
    );
    const subscribed = performance.now() - started;
    const sent = performance.now();
    await ingestOne(ctx, { ts: Date.now(), value });
    await within(
      seen,
      ctx.timeoutMs,
      () => `the sample ingested did not arrive within ${ctx.timeoutMs} ms (${where()})`,
    );
    return `subscribed in ${Math.round(subscribed)} ms; a new sample arrived ${Math.round(performance.now() - sent)} ms after its ingest was sent`;
  } finally {
    client.close();
  }
}
