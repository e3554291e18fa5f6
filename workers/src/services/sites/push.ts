import { notifyConfigChanged } from '../agents/config-push.ts';

/**
 * Pushes the new config to these gateways (live MQTT sessions get it at once; HTTPS agents see a
 * new ETag on their next poll, which is computed from D1 and needs no push).
 */
export function pushGatewayConfig(
  c: { env: Env; executionCtx: { waitUntil(p: Promise<unknown>): void } },
  orgId: string,
  gatewayIds: readonly (string | null | undefined)[],
): void {
  const ids = [...new Set(gatewayIds.filter((id): id is string => typeof id === 'string'))];
  if (ids.length > 0) c.executionCtx.waitUntil(notifyConfigChanged(c.env, orgId, ids));
}
