import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../schema/wire/stream.ts';
import { recordEvent } from '../../workers/src/services/events/record.ts';
import { orgEventSubject } from '../../workers/src/services/streams/subjects.ts';
import { seedOrg } from './helpers.ts';
import { connect, type Frame } from './stream-client.ts';
import { subscribed } from './stream-test-helpers.ts';

const record = (orgId: string, type: string, ts?: number) =>
  recordEvent(env, { orgId, type, subject: orgEventSubject(orgId, type), correlationId: null, data: { type }, ts });

const eventOf = (f: Frame) => (f as unknown as { event: StreamEvent }).event;

describe('replay-then-live event subscriptions', () => {
  it('gives history from a time, then live, with no gap at the seam and no duplicate', async () => {
    const org = await seedOrg(['read']);
    const now = Date.now();
    await record(org.orgId, 'custom.too_old', now - 60_000);
    const history = [];
    for (let i = 0; i < 3; i++) history.push(await record(org.orgId, `custom.h${i}`, now - 3000 + i * 1000));
    await recordEvent(env, {
      orgId: org.orgId,
      type: 'device.offline',
      subject: `org.${org.orgId}.site._.device.dev_x.event.device_offline`,
      correlationId: null,
      data: {},
    });
    const client = await connect(org.apiKey);
    client.send({
      type: 'subscribe',
      id: 'ev',
      subject: `org.${org.orgId}.event.**`,
      mode: 'replay-then-live',
      from: { ts: now - 10_000 },
    });
    // Recorded while the history query may still run: each must arrive exactly once.
    const racing = Promise.all([record(org.orgId, 'custom.r0'), record(org.orgId, 'custom.r1')]);
    expect(await client.next()).toMatchObject({ type: 'subscribed', id: 'ev' });
    const raced = await racing;
    const after = [await record(org.orgId, 'custom.l0'), await record(org.orgId, 'custom.l1')];

    const want = [...history, ...raced, ...after].map((e) => e.id);
    const got: Frame[] = [];
    while (got.length < want.length) got.push(await client.next());
    expect(await client.idle()).toEqual([]);
    const ids = got.map((f) => eventOf(f).id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...want].sort());
    // History first, in log order, marked as replayed; then the live ones.
    expect(ids.slice(0, 3)).toEqual(history.map((e) => e.id));
    expect(got.slice(0, 3).every((f) => f.replay === true)).toBe(true);
    expect(got.slice(-2).map((f) => eventOf(f).id)).toEqual(after.map((e) => e.id));
    expect(got.at(-1)!.replay).toBeUndefined();
  });

  it('refuses replay-then-live without a from time', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    expect(
      await client.ask({ type: 'subscribe', id: 'r', subject: `org.${org.orgId}.**`, mode: 'replay-then-live' }),
    ).toMatchObject({ type: 'error', code: 'invalid_message', ref: 'r' });
    await subscribed(client, 'r', `org.${org.orgId}.**`);
  });
});
