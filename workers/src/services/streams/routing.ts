import type { ChannelHub } from '../../objects/channel-hub/index.ts';
import { settings } from '../../settings.ts';

/**
 * Which ChannelHub object a publisher or a viewer of an org talks to: the one place that knows
 * the stream layout (docs/stream-protocol.md, "Sharded layout").
 *
 * - Unsharded (STREAM_PUBLISH_SHARDS and STREAM_RELAYS both 1): one hub `org:<org>` takes every
 *   publish and serves every viewer.
 * - Sharded: a device publishes to shard `hash(deviceId) mod S` (`org:<org>:p<k>`, or `org:<org>`
 *   when S is 1), its events too, so one device's frames keep their order; org-level events go
 *   to shard 0. A viewer connects to relay `hash(credential) mod R` (`org:<org>:r<j>`), so a
 *   reconnect lands where its resume point lives. Each relay is fed by every shard.
 */
export interface StreamLayout {
  shards: number;
  relays: number;
}

export type HubRole = 'hub' | 'shard' | 'relay';

export const streamLayout = (env: Env): StreamLayout => {
  const s = settings(env);
  return { shards: s.STREAM_PUBLISH_SHARDS, relays: s.STREAM_RELAYS };
};

/** True when publishers and viewers meet in different objects (a relay hop). */
export const isSharded = (layout: StreamLayout) => layout.shards > 1 || layout.relays > 1;

/** The unsharded hub's name, as it has always been. */
export const orgHubName = (orgId: string) => `org:${orgId}`;

/** Publish shard `k`; with one shard it keeps the unsharded hub's name (and its epoch and ring). */
export const shardName = (layout: StreamLayout, orgId: string, k: number) =>
  layout.shards === 1 ? orgHubName(orgId) : `org:${orgId}:p${k}`;

export const relayName = (orgId: string, j: number) => `org:${orgId}:r${j}`;

/** Every publish shard of an org, in index order. */
export const shardNames = (layout: StreamLayout, orgId: string) =>
  Array.from({ length: layout.shards }, (_, k) => shardName(layout, orgId, k));

/** Every object that serves the org's viewers: its relays, or the one hub. */
export const viewerHubNames = (layout: StreamLayout, orgId: string) =>
  isSharded(layout) ? Array.from({ length: layout.relays }, (_, j) => relayName(orgId, j)) : [orgHubName(orgId)];

/** The shard a device's samples and events go to; `null` (an org-level event) goes to shard 0. */
export const publishHubName = (layout: StreamLayout, orgId: string, deviceId: string | null) =>
  shardName(layout, orgId, deviceId === null ? 0 : bucket(deviceId, layout.shards));

/** The shard of an event: its device's, when the subject names one (…`.device.<id>.event.<type>`). */
export const eventHubName = (layout: StreamLayout, orgId: string, subject: string) =>
  publishHubName(layout, orgId, subjectDevice(subject));

/** The object a viewer connects to, by a key stable across its reconnects (its credential id). */
export const viewerHubName = (layout: StreamLayout, orgId: string, viewerKey: string) =>
  isSharded(layout) ? relayName(orgId, bucket(viewerKey, layout.relays)) : orgHubName(orgId);

/** The org and role a hub's name gives it; null for a name no route produces. */
export function parseHubName(name: string): { orgId: string; role: HubRole } | null {
  const m = /^org:([^:]+)(?::([pr])\d{1,3})?$/.exec(name);
  if (!m) return null;
  return { orgId: m[1]!, role: m[2] === 'p' ? 'shard' : m[2] === 'r' ? 'relay' : 'hub' };
}

/** True when a hub of this name may take the org's viewers: the unsharded hub or a relay, not a shard. */
export function servesViewersOf(name: string, orgId: string): boolean {
  const hub = parseHubName(name);
  return hub !== null && hub.orgId === orgId && hub.role !== 'shard';
}

function subjectDevice(subject: string): string | null {
  const levels = subject.split('.');
  return levels[4] === 'device' && levels[6] === 'event' ? (levels[5] ?? null) : null;
}

/** FNV-1a (32 bit) of the key, mod n: stable across isolates and deploys, cheap, evenly spread. */
export function bucket(key: string, n: number): number {
  if (n <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}

/** The stub of the hub with this name. */
export const hubByName = (env: Env, name: string): DurableObjectStub<ChannelHub> =>
  env.CHANNEL_HUB.get(env.CHANNEL_HUB.idFromName(name));

/** Where a device's stored batches are published. */
export const publishHubFor = (env: Env, orgId: string, deviceId: string) =>
  hubByName(env, publishHubName(streamLayout(env), orgId, deviceId));

/** Where a persisted event is published. */
export const eventHubFor = (env: Env, orgId: string, subject: string) =>
  hubByName(env, eventHubName(streamLayout(env), orgId, subject));

/** The hub a viewer's WebSocket or SSE stream is handed to. */
export const viewerHubFor = (env: Env, orgId: string, viewerKey: string) =>
  hubByName(env, viewerHubName(streamLayout(env), orgId, viewerKey));

/** Every hub holding viewers of the org (withdrawn access must reach them all). */
export const viewerHubsFor = (env: Env, orgId: string) =>
  viewerHubNames(streamLayout(env), orgId).map((name) => hubByName(env, name));
