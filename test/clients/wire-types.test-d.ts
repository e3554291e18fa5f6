import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type * as Client from '../../clients/stream/src/protocol.ts';
import type * as Wire from '../../schema/wire/stream.ts';
import type { CLOSE, MAX_CREDIT } from '../../clients/stream/src/protocol.ts';
import type { STREAM_CLOSE, STREAM_LIMITS, streamClientMessage } from '../../schema/wire/stream.ts';

/**
 * The stream client keeps its own copy of the wire types (it ships without zod). These
 * checks fail the typecheck when the copy drifts from schema/wire/stream.ts: the payload
 * types are equal, every frame the server sends is one the client can read, and every
 * message the client sends is one the server accepts.
 */

type ServerOf<T extends Wire.StreamServerFrame['type']> = Extract<Wire.StreamServerFrame, { type: T }>;
type ClientOf<T extends Client.ServerFrame['type']> = Extract<Client.ServerFrame, { type: T }>;

describe('clients/stream protocol.ts against schema/wire/stream.ts', () => {
  it('has the same sample, event and subscription id types', () => {
    expectTypeOf<Client.StreamSample>().toEqualTypeOf<Wire.StreamSample>();
    expectTypeOf<Client.StreamEvent>().toEqualTypeOf<Wire.StreamEvent>();
    expectTypeOf<Client.SubscriptionId>().toEqualTypeOf<Wire.SubscriptionId>();
  });

  it('reads every frame type the server sends', () => {
    expectTypeOf<Client.ServerFrame['type']>().toEqualTypeOf<Wire.StreamServerFrame['type']>();
    expectTypeOf<ServerOf<'welcome'>>().toExtend<ClientOf<'welcome'>>();
    expectTypeOf<ServerOf<'subscribed'>>().toExtend<ClientOf<'subscribed'>>();
    expectTypeOf<ServerOf<'unsubscribed'>>().toExtend<ClientOf<'unsubscribed'>>();
    expectTypeOf<ServerOf<'data'>>().toExtend<ClientOf<'data'>>();
    expectTypeOf<ServerOf<'event'>>().toExtend<ClientOf<'event'>>();
    expectTypeOf<ServerOf<'gap'>>().toExtend<ClientOf<'gap'>>();
    expectTypeOf<ServerOf<'pong'>>().toExtend<ClientOf<'pong'>>();
    expectTypeOf<ServerOf<'error'>>().toExtend<ClientOf<'error'>>();
  });

  it('sends only messages the server accepts', () => {
    expectTypeOf<Client.ClientFrame['type']>().toEqualTypeOf<z.input<typeof streamClientMessage>['type']>();
    expectTypeOf<Client.ClientFrame>().toExtend<z.input<typeof streamClientMessage>>();
  });

  it('uses the same close codes and credit limit', () => {
    expectTypeOf<typeof CLOSE>().toEqualTypeOf<typeof STREAM_CLOSE>();
    expectTypeOf<typeof MAX_CREDIT>().toEqualTypeOf<(typeof STREAM_LIMITS)['maxCreditGrant']>();
  });
});
