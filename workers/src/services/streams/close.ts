import { viewerHubsFor } from './routing.ts';

/** Whose live streams to end: any connection opened by one of these credentials or users. */
export interface StreamPrincipals {
  /** API key ids or session ids. */
  credentialIds?: readonly string[];
  /** Every session of these users (a removed member, a lowered role). */
  userIds?: readonly string[];
}

/**
 * Ends the org's open streams of these principals: WebSockets close with 4401 and SSE streams
 * end. Call it after the change that withdrew their access has committed, so a reconnect is
 * refused.
 */
export async function closeStreams(env: Env, orgId: string, who: StreamPrincipals): Promise<void> {
  if (!who.credentialIds?.length && !who.userIds?.length) return;
  // Every hub that may hold the org's viewers: each relay of a sharded layout.
  await Promise.all(viewerHubsFor(env, orgId).map((hub) => hub.closeStreams(who)));
}

/**
 * {@link closeStreams} in each of these orgs. A session carries one current org, but streams
 * it opened before `switch-org` live in the hubs of the orgs it was in then: ending a session
 * (sign-out everywhere, a password change) should name every org of its user.
 */
export async function closeStreamsIn(env: Env, orgIds: readonly string[], who: StreamPrincipals): Promise<void> {
  await Promise.all([...new Set(orgIds)].map((orgId) => closeStreams(env, orgId, who)));
}
