import { afterEach, describe, expect, it } from 'vitest';
import type { StreamEvent, StreamSample } from '../../schema/wire/stream.ts';
import { startLive, subscribeEvents, subscribeLive } from '../../workers/dashboard/src/app/live.ts';
import { openLiveFeed } from '../../workers/dashboard/src/pages/device/live-feed.ts';
import type { GapFrame, StreamClient, StreamHandlers, SubscribeOptions } from '../../workers/dashboard/src/stream.ts';

const ORG = 'org_a';
const DEV = 'dev_1';

/** A stand-in for the one WebSocket: records what the app asks of it and lets a test play the server. */
function fakeConnection() {
  const opened: { handlers: StreamHandlers; subs: Map<string, { subject: string; options?: SubscribeOptions }> }[] = [];
  const open = (handlers: StreamHandlers): StreamClient => {
    const subs = new Map<string, { subject: string; options?: SubscribeOptions }>();
    opened.push({ handlers, subs });
    return {
      subscribe(id, subject, options) {
        subs.set(String(id), { subject, options });
        return Promise.resolve();
      },
      unsubscribe: (id) => void subs.delete(String(id)),
      close: () => undefined,
    };
  };
  return { open, opened };
}

const sample = (subject: string, seriesId = 's_1'): StreamSample => ({
  subject,
  seriesId,
  deviceId: DEV,
  metric: 'load1',
  labels: {},
  ts: 1,
  value: 1,
});
const event = (
  id: string,
  ts: number,
  subject = `org.${ORG}.site._.device.${DEV}.event.device_online`,
): StreamEvent => ({
  id,
  type: 'device.online',
  subject,
  ts,
  correlationId: null,
  data: {},
});
const gap = (id: string): GapFrame => ({ type: 'gap', id, epoch: 'e', reason: 'out_of_window' });
const idOf = (subs: Map<string, { subject: string }>, subject: string) =>
  [...subs].find(([, s]) => s.subject === subject)?.[0];

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

describe('the shared stream connection (app/live.ts)', () => {
  it('carries samples and events of every page on one connection, and unsubscribes them when they leave', () => {
    const conn = fakeConnection();
    // A page may subscribe before the app opened the stream (Preact runs child effects first).
    const leaveFleet = subscribeLive(`org.${ORG}.site.*.device.*.metric.load1`, () => undefined);
    cleanups.push(startLive(() => undefined, conn.open));
    const leaveEvents = subscribeEvents(`org.${ORG}.event.*`, 1000, { onEvent: () => undefined });
    expect(conn.opened).toHaveLength(1);
    const subs = conn.opened[0]!.subs;
    expect([...subs.values()]).toEqual([
      { subject: `org.${ORG}.site.*.device.*.metric.load1`, options: undefined },
      { subject: `org.${ORG}.event.*`, options: { mode: 'replay-then-live', from: { ts: 1000 } } },
    ]);
    leaveEvents();
    leaveFleet();
    expect(subs.size).toBe(0);
  });

  it('hands replayed events only to subscriptions whose replay reaches back to them, live ones to every match', async () => {
    const conn = fakeConnection();
    cleanups.push(startLive(() => undefined, conn.open));
    const early: string[] = [];
    const late: string[] = [];
    const liveOnly: string[] = [];
    let confirmed = 0;
    const note = (into: string[]) => ({
      onEvent: (e: StreamEvent, replayed: boolean) => into.push(`${e.id}${replayed ? ' (replayed)' : ''}`),
      onSubscribed: () => confirmed++,
    });
    cleanups.push(subscribeEvents(`org.${ORG}.site.*.device.*.event.*`, 1000, note(early)));
    cleanups.push(subscribeEvents(`org.${ORG}.**`, 5000, note(late)));
    cleanups.push(subscribeEvents(`org.${ORG}.site.*.device.*.event.*`, undefined, note(liveOnly)));
    await Promise.resolve();
    expect(confirmed).toBe(3);
    const server = conn.opened[0]!.handlers;
    server.onEvent!({ type: 'event', seq: 7, epoch: 'e', event: event('old', 2000), replay: true });
    server.onEvent!({ type: 'event', seq: 7, epoch: 'e', event: event('recent', 6000), replay: true });
    server.onEvent!({ type: 'event', seq: 8, epoch: 'e', event: event('now', 9000) });
    server.onEvent!({ type: 'event', seq: 9, epoch: 'e', event: event('org-wide', 9500, `org.${ORG}.event.custom`) });
    expect(early).toEqual(['old (replayed)', 'recent (replayed)', 'now']);
    expect(late).toEqual(['recent (replayed)', 'now', 'org-wide']);
    expect(liveOnly).toEqual(['now']);
  });

  it("reports a gap to the subscription it names, through the device page's feed to its charts", () => {
    const conn = fakeConnection();
    cleanups.push(startLive(() => undefined, conn.open));
    const feed = openLiveFeed(ORG, DEV);
    cleanups.push(() => feed.close());
    const fleetGaps: GapFrame[] = [];
    cleanups.push(
      subscribeLive(
        `org.${ORG}.site.*.device.*.metric.load1`,
        () => undefined,
        (g) => fleetGaps.push(g),
      ),
    );
    let chartGaps = 0;
    const got: StreamSample[] = [];
    cleanups.push(
      feed.listen(
        (s) => got.push(...s),
        () => chartGaps++,
      ),
    );
    cleanups.push(
      feed.listen(
        () => undefined,
        () => chartGaps++,
      ),
    );

    const subs = conn.opened[0]!.subs;
    const deviceId = idOf(subs, `org.${ORG}.*.*.device.${DEV}.**`)!;
    const server = conn.opened[0]!.handlers;
    server.onSamples([sample(`org.${ORG}.site._.device.${DEV}.metric.load1`)]);
    expect(got).toHaveLength(1);
    server.onGap!(gap(deviceId));
    expect(chartGaps).toBe(2);
    expect(fleetGaps).toEqual([]);
    server.onGap!(gap(idOf(subs, `org.${ORG}.site.*.device.*.metric.load1`)!));
    expect(fleetGaps).toHaveLength(1);
    expect(chartGaps).toBe(2);
  });

  it('re-subscribes everything on the connection of a new session, events with their replay', () => {
    const first = fakeConnection();
    const close = startLive(() => undefined, first.open);
    cleanups.push(subscribeEvents(`org.${ORG}.event.*`, 1000, { onEvent: () => undefined }));
    cleanups.push(subscribeLive(`org.${ORG}.site.*.device.*.metric.load1`, () => undefined));
    close();
    const second = fakeConnection();
    cleanups.push(startLive(() => undefined, second.open));
    expect([...second.opened[0]!.subs.values()].map((s) => [s.subject, s.options?.mode])).toEqual([
      [`org.${ORG}.event.*`, 'replay-then-live'],
      [`org.${ORG}.site.*.device.*.metric.load1`, undefined],
    ]);
  });
});
