import { notifyConfigChanged } from '../agents/config-push.ts';

/**
 * Tells these gateways' hubs that their config changed: live MQTT sessions get it at once, and
 * an HTTPS agent's next poll (even one right after this request) gets the new answer, since
 * the hub has dropped its copy when this resolves.
 */
export async function pushGatewayConfig(
  c: { env: Env },
  gatewayIds: readonly (string | null | undefined)[],
): Promise<void> {
  const ids = [...new Set(gatewayIds.filter((id): id is string => typeof id === 'string'))];
  if (ids.length > 0) await notifyConfigChanged(c.env, ids);
}
